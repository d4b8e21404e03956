import type { Bodies } from './bodies.js';
import type { HubQueries } from './repository.js';
import { isActive } from './send-status.js';

/** Bytes an account may hold at the hub unless its own quota says otherwise: 10 GiB. */
export const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3;

/** Where an account's quota is kept: the metadata table, so every repository holds it without a new column. */
const quotaKey = (name: string) => `quota:${name}`;

export async function quotaOf(repo: HubQueries, name: string): Promise<number> {
  const stored = await repo.getMeta(quotaKey(name));
  const bytes = stored === undefined ? NaN : Number(stored);
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : DEFAULT_QUOTA_BYTES;
}

export function setQuota(repo: HubQueries, name: string, bytes: number): Promise<void> {
  return repo.setMeta(quotaKey(name), String(Math.floor(bytes)));
}

/**
 * The per-account quota of bytes held at the hub (docs/security.md, "Quotas"): the bodies of an account's open sends
 * (partials being uploaded, and bodies awaiting delivery), each body once. An upload is let in only when the whole
 * size its send declared fits: a partial can never grow an account past its quota.
 */
export class Quotas {
  constructor(
    private readonly repo: HubQueries,
    private readonly bodies: Bodies,
  ) {}

  /** Bytes the account's open sends hold or will hold, other than those of the body `except`. */
  async committed(account: string, except: string): Promise<number> {
    const seen = new Set<string>([except]);
    let bytes = 0;
    for (const send of await this.repo.sendsBySender(account)) {
      if (send.closed || seen.has(send.sha256)) continue;
      const offers = await this.repo.offersOfSend(send.sendId);
      const open = offers.some((offer) => isActive(offer.state)) || (send.confId !== null && !send.uploaded);
      if (!open) continue;
      seen.add(send.sha256);
      bytes += send.uploaded
        ? send.fileSize
        : await this.bodies.held({ sha256: send.sha256, uploader: account }, send.fileSize);
    }
    return bytes;
  }

  /** Null when an upload of `fileSize` bytes of `sha256` fits in the account's quota, else why it does not. */
  async refusal(account: string, sha256: string, fileSize: number): Promise<string | null> {
    const quota = await quotaOf(this.repo, account);
    const committed = await this.committed(account, sha256);
    if (committed + fileSize <= quota) return null;
    return (
      `over quota: the account holds ${committed} bytes at the server and this file needs ${fileSize} more; ` +
      `its quota is ${quota} bytes`
    );
  }
}
