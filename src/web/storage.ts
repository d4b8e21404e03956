/**
 * What the page keeps in the browser, per room (keyed by the page's origin, which is the room's web port):
 * recent peers and reasons of failed transfers in localStorage, the room's re-auth token in sessionStorage
 * (this tab only, gone when it closes).
 */

const PREFIX = 'roomfiles:';
const RECENT_PEERS = `${PREFIX}recentPeers`;
const REASONS = `${PREFIX}statusReasons`;
const TOKEN = `${PREFIX}token`;
const MAX_RECENT = 8;
const MAX_REASONS = 500;

function read<T>(storage: Storage | undefined, key: string, fallback: T): T {
  try {
    const text = storage?.getItem(key);
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

function write(storage: Storage | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the page works without it.
  }
}

function local(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

function session(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export function recentPeers(): string[] {
  const list = read<unknown>(local(), RECENT_PEERS, []);
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

export function rememberPeer(peerId: string): string[] {
  const list = [peerId, ...recentPeers().filter((peer) => peer !== peerId)].slice(0, MAX_RECENT);
  write(local(), RECENT_PEERS, list);
  return list;
}

export function forgetPeer(peerId: string): string[] {
  const list = recentPeers().filter((peer) => peer !== peerId);
  write(local(), RECENT_PEERS, list);
  return list;
}

/**
 * Why transfers ended, as events said it: a reloaded page shows the reason at once, before it has asked the room
 * (`getFileRequestInfo` carries `statusReason` too, and the model asks for any it lacks).
 */
export function savedReasons(): Record<string, string> {
  return read<Record<string, string>>(local(), REASONS, {});
}

export function saveReason(fileRequestId: string, reason: string): void {
  const reasons = savedReasons();
  reasons[fileRequestId] = reason;
  const keys = Object.keys(reasons);
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_REASONS))) delete reasons[key];
  write(local(), REASONS, reasons);
}

export function savedToken(): string | null {
  return read<string | null>(session(), TOKEN, null);
}

export function saveToken(token: string | null): void {
  if (token === null) session()?.removeItem(TOKEN);
  else write(session(), TOKEN, token);
}
