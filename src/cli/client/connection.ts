import { Command, Option } from 'commander';
import type { RoomClient } from '../../client/index.js';
import { ROOM_DEFAULT_PORTS } from '../../common/defaults.js';
import { UsageError } from '../process.js';

/** alice's room of `roomfiles up`: its web port, where config.json names the other two. */
export const DEFAULT_ROOM_URL = `http://127.0.0.1:${ROOM_DEFAULT_PORTS.web}`;

/** How long connecting (config.json, WebSocket, auth) may take before the room counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The options every client command takes (commander's camelCase names). */
export interface ConnectionFlags {
  url?: string;
  pin?: string;
  roomPassword?: string;
  json?: boolean;
}

/** `--url`, `--pin`, `--room-password` (with their environment variables) and `--json`. */
export function withConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--url <url>',
        `the room: its API port (ws://host:8765) or its web port (http://host:8764) (default: ${DEFAULT_ROOM_URL}, alice of "roomfiles up")`,
      ).env('ROOMFILES_URL'),
    )
    .addOption(new Option('--pin <pin>', "the room's PIN, when it has one").env('ROOMFILES_PIN'))
    .addOption(
      new Option('--room-password <password>', "the room's password, when it has one").env(
        'ROOMFILES_ROOM_PASSWORD',
      ),
    )
    .option('--json', 'print JSON for scripts instead of text');
}

/** A room URL as the SDK takes it; no scheme means the web port (`127.0.0.1:8764` → `http://127.0.0.1:8764`). */
export function roomUrl(flags: ConnectionFlags): string {
  const given = (flags.url ?? '').trim() || DEFAULT_ROOM_URL;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${given}" is not a room URL: use ws://host:apiPort or http://host:webPort`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new UsageError(`"${given}" is not a room URL: use ws://host:apiPort or http://host:webPort`);
  }
  return `${url.protocol}//${url.host}`;
}

/** A failure of the operation (exit 1), keeping what caused it for `--debug`. */
export class Failure extends UsageError {
  constructor(message: string, cause?: unknown) {
    super(message, 1);
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * Connects to the room the flags name and authorizes. Every way this can fail becomes one sentence with exit
 * code 1: the room is not there, it wants a PIN, the PIN is wrong.
 */
export async function openRoom(flags: ConnectionFlags, options: { reconnect?: boolean } = {}) {
  if (flags.pin !== undefined && flags.roomPassword !== undefined) {
    throw new UsageError('give either --pin or --room-password, not both');
  }
  const url = roomUrl(flags);
  const { RoomClient, RoomApiError, RoomConnectionError } = await import('../../client/index.js');
  try {
    return await RoomClient.connect({
      url,
      pin: flags.pin,
      password: flags.roomPassword,
      reconnect: options.reconnect ?? false,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof RoomApiError && error.method === 'auth') {
      throw new Failure(authFailure(url, flags, error.error, error.errorCode), error);
    }
    if (error instanceof RoomConnectionError && error.code === 'timeout') {
      throw new Failure(`the room at ${url} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`, error);
    }
    if (error instanceof RoomConnectionError && error.code === 'not-a-room') {
      throw new Failure(`${url} is not the web port of a room (its config.json names no API port)`, error);
    }
    const apiPort = url.startsWith('ws') ? await webPortsApi(url) : null;
    if (apiPort !== null) {
      const { host } = new URL(url);
      throw new Failure(
        `${url} is the web port of a room, not its API port: use --url http://${host} or ws://${host.replace(/:\d+$/, '')}:${apiPort}`,
        error,
      );
    }
    throw new Failure(`cannot reach the room at ${url}: is \`roomfiles up\` running?`, error);
  }
}

/**
 * A ws:// URL that no WebSocket answers may name a room's web port (8764 for 8765): its config.json says so and
 * names the API port. Null when it is not a room's web port.
 */
async function webPortsApi(url: string): Promise<number | null> {
  const { host, protocol } = new URL(url);
  const scheme = protocol === 'wss:' ? 'https' : 'http';
  try {
    const response = await fetch(`${scheme}://${host}/public/default/config.json`, {
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) return null;
    const config = (await response.json()) as { config?: { websocket?: { port?: unknown } } };
    const port = config.config?.websocket?.port;
    return typeof port === 'number' ? port : null;
  } catch {
    return null;
  }
}

function authFailure(url: string, flags: ConnectionFlags, error: string, errorCode: number): string {
  if (errorCode === 429) return `the room at ${url} refuses this address for now: ${error}`;
  if (flags.pin === undefined && flags.roomPassword === undefined) {
    return `the room at ${url} is protected: give --pin or --room-password (or ROOMFILES_PIN)`;
  }
  const what = flags.pin !== undefined ? 'PIN' : 'password';
  return `the room at ${url} refused the ${what}`;
}

/** A failure on this machine (a local path), not in the room: its sentence does not name the room. */
export class LocalFailure extends Failure {}

/**
 * Adds the room a failure came from to its sentence ("there is no incoming file request 6261 (asked the room at
 * http://127.0.0.1:8764)"): with two rooms on one machine, a command sent to the wrong one says so.
 */
export function namingRoom(error: Error, url: string): Error {
  if (!(error instanceof UsageError) || error instanceof LocalFailure || error.message.includes(url))
    return error;
  error.message = `${error.message} (asked the room at ${url})`;
  return error;
}

/** Connects, runs `fn` with the client, and closes the client whatever happens. */
export async function withRoom<T>(
  flags: ConnectionFlags,
  fn: (client: RoomClient) => Promise<T>,
  options: { reconnect?: boolean } = {},
): Promise<T> {
  const client = await openRoom(flags, options);
  try {
    return await fn(client);
  } catch (error) {
    throw namingRoom(await asFailure(error), roomUrl(flags));
  } finally {
    client.close();
  }
}

/**
 * An error of the SDK as a one-sentence failure (exit 1): a failure reply names its problem itself, a lost
 * connection says so. `context` starts the sentence ("cannot accept 3f2a").
 */
export async function asFailure(error: unknown, context?: string): Promise<Error> {
  if (error instanceof UsageError) return error;
  const { RoomApiError, RoomConnectionError, TransferFailedError } = await import('../../client/index.js');
  const prefix = context ? `${context}: ` : '';
  if (error instanceof RoomApiError) {
    if (error.errorCode === 403 && /role/.test(error.error)) {
      return new Failure(`${prefix}${error.error} (connect with the room's PIN or password)`, error);
    }
    return new Failure(`${prefix}${error.error}`, error);
  }
  if (error instanceof TransferFailedError) return new Failure(error.message, error);
  if (error instanceof RoomConnectionError) {
    return new Failure(`${prefix}lost the connection to the room (${error.message})`, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Listens for the outcome of a call before the call is made (the room sends its events right after the reply):
 * `listen` subscribes and calls `settle` with a value or an Error; unsubscribed when settled. Fails after
 * `timeoutMs`, or when the connection closes.
 */
export function outcome<T>(
  client: RoomClient,
  timeoutMs: number,
  timeoutMessage: string,
  listen: (settle: (value: T | Error) => void) => (() => void)[],
): Promise<T> {
  const promise = new Promise<T>((resolve, reject) => {
    const offs: (() => void)[] = [];
    const settle = (value: T | Error) => {
      clearTimeout(timer);
      for (const off of offs.splice(0)) off();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const timer = setTimeout(() => settle(new Failure(timeoutMessage)), timeoutMs);
    offs.push(...listen(settle));
    offs.push(
      client.onConnectionState((state) => {
        if (state !== 'connected') settle(new Failure('lost the connection to the room'));
      }),
    );
  });
  // Awaited later, after the call that causes it: a rejection before then is not unhandled.
  promise.catch(() => undefined);
  return promise;
}
