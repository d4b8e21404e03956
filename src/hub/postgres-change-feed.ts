import pg from 'pg';
import type { Logger } from 'pino';
import { Backoff } from '../common/backoff.js';

/**
 * One dedicated connection LISTENing on a channel (a listening session cannot be a pooled one), reconnected with
 * backoff when PostgreSQL restarts or the network drops. Notifications sent while it was away are lost, so every
 * listener is called once after each connect, the first one included: it then rereads what it watches.
 */
export class PostgresChangeFeed {
  private client: pg.Client | null = null;
  private readonly listeners = new Set<(payload: string) => void>();
  private readonly backoff = new Backoff(100, 5000);
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly logger?: Logger,
  ) {}

  /** Calls `listener` with each notification's payload, and with '' after each connect; returns the unsubscribe. */
  subscribe(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.retry) void this.connect();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.stopped = false;
    this.retry = null;
    const client = new pg.Client(this.config);
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      if (this.stopped || this.listeners.size === 0) return;
      this.logger?.warn({ err: error?.message }, 'database notifications lost: reconnecting');
      this.retry = setTimeout(() => void this.connect(), this.backoff.next());
      this.retry.unref();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.notify(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    this.backoff.reset();
    // Changes committed while no one listened — also between the subscribe and this first LISTEN, which no
    // notification could reach: every listener looks again (an account change, the cluster's push log).
    this.notify('');
  }

  private notify(payload: string): void {
    for (const listener of [...this.listeners]) listener(payload);
  }
}
