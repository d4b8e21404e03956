import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { SerialQueue } from '../common/serial-queue.js';
import type { LoginFailureLog } from './accounts.js';
import type { UploadRef } from './blob-store.js';
import type { BodyEvent } from './body-signals.js';
import type { UploadLocks } from './body-uploads.js';
import type { BodyBearer } from './link-registry.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import { PUSH_CHANNEL } from './postgres-migrations.js';

/** How often a process says it is alive; a process silent for STALE_AFTER_S is taken as gone. */
const HEARTBEAT_MS = 5000;
const STALE_AFTER_S = 20;
/** A process silent this long is removed, with its tokens (one that was killed never removes itself). */
const FORGET_AFTER_S = 120;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_NOTIFY_BYTES = 7999;

/** The key under which a bearer token is stored: its hash, never its value. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64');

/** A push one process hands to the others: they deliver it to the links they hold for `peerId`. */
export interface ClusterPush {
  from: string;
  peerId: string;
  name: string;
  fields: object;
  /** For a push to one room only (a conference's): its presence, `peerId/instance`. */
  instanceId?: string;
}

/** What goes over the channel: a push, or what became of an upload (for readers following it elsewhere). */
type ClusterMessage = { from: string } & ({ push: Omit<ClusterPush, 'from'> } | { body: BodyEvent });

/** The advisory lock key of a name: 64 bits of its sha256, as PostgreSQL's bigint (a string for pg). */
const lockKey = (name: string) => createHash('sha256').update(name).digest().readBigInt64BE(0).toString();

/**
 * What several hub processes on one PostgreSQL database share besides the repository's rows: which processes are
 * alive (hub_processes, a heartbeat), the body routes' bearer tokens (body_tokens, valid while the process holding
 * their link is alive), pushes handed from the process that made them to the processes holding the recipients'
 * links (LISTEN/NOTIFY on one channel), the login failures the lockout counts, and jobs (expiry) claimed once per
 * interval by one process. Its own small pool, so that none of this waits behind the repository's requests.
 */
export class PostgresCluster {
  private readonly pool: pg.Pool;
  private readonly feed: PostgresChangeFeed;
  /** Pushes go out one after another: a recipient's process receives them in the order they were made. */
  private readonly outgoing: SerialQueue;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly options: {
      url: string;
      /** This process's name in hub_processes (the hub's id). */
      process: string;
      /** Resolves once the repository brought the schema up to date (the tables here are in its migrations). */
      ready: () => Promise<void>;
      logger: Logger;
    },
  ) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      application_name: `roomfiles-cluster-${options.process}`,
      max: 4,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    });
    this.pool.on('error', (error) => options.logger.warn({ err: error.message }, 'cluster connection lost'));
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.feed = new PostgresChangeFeed(
      {
        connectionString: options.url,
        application_name: `roomfiles-cluster-${options.process}-listen`,
        keepAlive: true,
      },
      PUSH_CHANNEL,
      options.logger,
    );
    this.outgoing = new SerialQueue((error) =>
      options.logger.error({ err: error }, 'handing a push to the other hub processes failed'),
    );
  }

  get process(): string {
    return this.options.process;
  }

  /** Registers this process as alive (before it takes any link) and keeps saying so. */
  async start(onPush: (push: ClusterPush) => void, onBody: (event: BodyEvent) => void): Promise<void> {
    await this.options.ready();
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beat().catch((error: unknown) =>
        this.options.logger.warn({ err: (error as Error).message }, 'cluster heartbeat failed'),
      );
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    this.unsubscribe = this.feed.subscribe((payload) => {
      if (!payload) return; // a reconnect: pushes sent meanwhile are lost; rooms reread their state on reconnect
      let message: ClusterMessage;
      try {
        message = JSON.parse(payload) as ClusterMessage;
      } catch {
        return;
      }
      if (message.from === this.process) return;
      if ('push' in message) onPush({ from: message.from, ...message.push });
      else if ('body' in message) onBody(message.body);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Pushes already made go out before the connections close (a process stopping in order tells the others
    // that its rooms left their conferences).
    await new Promise<void>((resolve) => this.outgoing.push(resolve));
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unsubscribe?.();
    this.feed.stop();
    const locks = this.lockClient;
    this.lockClient = null;
    await locks?.then((client) => client.end()).catch(() => undefined);
    // A process that stops in order takes its tokens with it; one killed leaves them to expire with its heartbeat.
    await this.pool
      .query('DELETE FROM hub_processes WHERE process = $1', [this.process])
      .catch(() => undefined);
    await this.pool.end();
  }

  /**
   * Hands a push to every other process; they deliver it to the links they hold for `peerId` (or, given
   * `instanceId`, to that one room's link).
   */
  publish(peerId: string, name: string, fields: object, instanceId?: string): void {
    if (this.stopped) return;
    const push = instanceId ? { peerId, name, fields, instanceId } : { peerId, name, fields };
    this.send({ from: this.process, push }, name);
  }

  /** Hands what became of an upload to every other process (their readers following it). */
  publishBody(event: BodyEvent): void {
    this.send({ from: this.process, body: event }, event.kind);
  }

  private send(message: ClusterMessage, what: string): void {
    if (this.stopped) return;
    const payload = JSON.stringify(message);
    if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
      // Every push of the link table is far smaller (names are bounded); one that is not is a bug of the hub's.
      this.options.logger.error(
        { what, bytes: Buffer.byteLength(payload) },
        'message too large to hand over',
      );
      return;
    }
    this.outgoing.push(async () => {
      await this.pool.query('SELECT pg_notify($1, $2)', [PUSH_CHANNEL, payload]);
    });
  }

  /**
   * One writer per upload across processes: a session advisory lock per upload, held on one dedicated connection
   * of this process. A process that dies (kill -9) loses its connection, and PostgreSQL releases its locks at once,
   * so the sender's room resumes through another process without waiting for a lease to run out.
   */
  readonly uploadLocks: UploadLocks = {
    acquire: async (upload: UploadRef) => {
      const key = lockKey(`upload:${upload.sha256}.${upload.uploader}`);
      const client = await this.lockConnection();
      const result = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [key]);
      if (!result.rows[0]?.got) return null;
      return async () => {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      };
    },
  };

  private lockClient: Promise<pg.Client> | null = null;

  private lockConnection(): Promise<pg.Client> {
    if (this.lockClient) return this.lockClient;
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: `roomfiles-cluster-${this.process}-locks`,
      keepAlive: true,
    });
    const connecting = client.connect().then(() => client);
    this.lockClient = connecting;
    const lost = (error?: Error) => {
      if (this.lockClient !== connecting) return;
      this.lockClient = null;
      // The server released every lock of the session: uploads writing now are no longer exclusive.
      if (!this.stopped)
        this.options.logger.error({ err: error?.message }, 'upload locks lost with their connection');
      client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    connecting.catch(lost);
    return connecting;
  }

  async saveToken(token: string, bearer: BodyBearer): Promise<void> {
    await this.pool.query(
      `INSERT INTO body_tokens (token_hash, account, instance_id, process) VALUES ($1, $2, $3, $4)
       ON CONFLICT (token_hash) DO NOTHING`,
      [tokenHash(token), bearer.account, bearer.instanceId, this.process],
    );
  }

  async dropToken(token: string): Promise<void> {
    await this.pool.query('DELETE FROM body_tokens WHERE token_hash = $1', [tokenHash(token)]);
  }

  /** The bearer of a token given by any process that is still alive; undefined for any other token. */
  async findToken(token: string): Promise<BodyBearer | undefined> {
    const result = await this.pool.query<{ account: string; instance_id: string }>(
      `SELECT t.account, t.instance_id FROM body_tokens t JOIN hub_processes p USING (process)
       WHERE t.token_hash = $1 AND p.seen_at > now() - make_interval(secs => $2)`,
      [tokenHash(token), STALE_AFTER_S],
    );
    const row = result.rows[0];
    return row && { account: row.account, instanceId: row.instance_id };
  }

  /**
   * Claims the run of `job` for this interval: true for exactly one process among those asking within `everyMs`
   * of the last run (one conditional statement; the database's clock decides, not the processes').
   */
  async claim(job: string, everyMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO cluster_jobs (job, ran_at) VALUES ($1, now())
       ON CONFLICT (job) DO UPDATE SET ran_at = now()
       WHERE cluster_jobs.ran_at <= now() - make_interval(secs => $2)
       RETURNING job`,
      [job, everyMs / 1000],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** The lockout's count of wrong passwords, shared by every process. */
  readonly loginFailures: LoginFailureLog = {
    count: async (name, since) => {
      const result = await this.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM login_failures WHERE name = $1 AND at > $2',
        [name, since],
      );
      return Number(result.rows[0]?.n ?? 0);
    },
    record: async (name, at, forgetBefore) => {
      // The old ones of the same name go at once: the table holds no more than one window's failures per name.
      await this.pool.query('DELETE FROM login_failures WHERE name = $1 AND at <= $2', [name, forgetBefore]);
      await this.pool.query('INSERT INTO login_failures (name, at) VALUES ($1, $2)', [name, at]);
    },
    clear: async (name) => {
      await this.pool.query('DELETE FROM login_failures WHERE name = $1', [name]);
    },
  };

  private async beat(): Promise<void> {
    await this.pool.query(
      `INSERT INTO hub_processes (process, seen_at) VALUES ($1, now())
       ON CONFLICT (process) DO UPDATE SET seen_at = now()`,
      [this.process],
    );
    await this.pool.query('DELETE FROM hub_processes WHERE seen_at < now() - make_interval(secs => $1)', [
      FORGET_AFTER_S,
    ]);
  }
}
