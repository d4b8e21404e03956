/** Defaults that both the servers and the light command-line modules need (kept here so the CLI loads fast). */
export const DEFAULT_HUB_PORT = 4307;
export const ROOM_DEFAULT_PORTS = { web: 8764, api: 8765, http: 8766 } as const;
export const DEFAULT_DOMAIN = 'files.local';
