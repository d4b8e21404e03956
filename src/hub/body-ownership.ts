import type { Bodies } from './bodies.js';
import type { HubQueries, SendRow } from './repository.js';

/**
 * Whose bytes count for a send (docs/security.md, "Dedup that trusts no one"). A body is stored once, but a send
 * counts as uploaded only when its own sender's account streamed the whole body and the hub verified it, or the
 * same account did so for an earlier send of those bytes. Knowing a sha256 and a size is never enough: what a
 * sender is told (held bytes, completion, status) does not depend on what other accounts uploaded.
 */
export class BodyOwnership {
  constructor(
    private readonly repo: HubQueries,
    private readonly bodies: Bodies,
  ) {}

  /**
   * Whether `account` proved it holds the body of `sha256` of `fileSize` bytes (and the hub still holds it). A
   * send declaring another size for the same bytes proves nothing: it uploads, and fails its check.
   */
  async owns(account: string, sha256: string, fileSize: number): Promise<boolean> {
    if (!(await this.bodies.isComplete(sha256))) return false;
    // Sends are marked uploaded only by this rule, so an uploaded send of this account is its own proof.
    const proof = (await this.repo.sendsBySha(sha256)).find(
      (send) => send.sender === account && send.uploaded,
    );
    if (proof) return proof.fileSize === fileSize;
    return this.bodies.verifiedBy({ sha256, uploader: account });
  }

  /**
   * Runs `fn` while the body is held against removal (a request's use of it, Bodies.use): what `fn` learns of the
   * body (that it is held) stays true until it returns, whatever another process collects meanwhile.
   */
  async whileHeld<T>(sha256: string, fn: () => Promise<T>): Promise<T> {
    const use = await this.bodies.use(sha256);
    try {
      return await fn();
    } finally {
      await use.release();
    }
  }

  /** Bytes of a send's body the hub holds for its sender: what its own upload holds, or all once it owns it. */
  async held(send: SendRow): Promise<number> {
    if (send.uploaded || (await this.owns(send.sender, send.sha256, send.fileSize))) return send.fileSize;
    return this.bodies.held({ sha256: send.sha256, uploader: send.sender }, send.fileSize);
  }
}
