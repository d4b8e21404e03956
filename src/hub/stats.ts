/** Counters an operator (and the resume tests) can read at GET /stats. */
export class HubStats {
  bytesReceived = 0;
  bytesSent = 0;
  uploadsStarted = 0;
  uploadsCompleted = 0;
  /** Bytes received per blob since this process started: shows how much of a body was sent again on resume. */
  readonly receivedByBlob = new Map<string, number>();

  countReceived(sha256: string, bytes: number): void {
    this.bytesReceived += bytes;
    this.receivedByBlob.set(sha256, (this.receivedByBlob.get(sha256) ?? 0) + bytes);
  }

  snapshot(links: number) {
    return {
      links,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      uploadsStarted: this.uploadsStarted,
      uploadsCompleted: this.uploadsCompleted,
      receivedByBlob: Object.fromEntries(this.receivedByBlob),
    };
  }
}
