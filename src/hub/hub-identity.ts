/** What a hub says of itself: in its reply to hello and at GET /health. */
export interface HubIdentity {
  /** The domain of its TrueConf IDs (`name@domain`). */
  domain: string;
  /** Random per process, for logs and operators: which hub process answered. */
  hubId: string;
}
