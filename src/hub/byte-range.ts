/** `bytes=<first>-`: the one form of Range a room sends, to resume a download from what it holds. */
const OPEN_ENDED = /^bytes=(\d+)-$/;

/**
 * The first byte an open-ended Range asks for; null when there is no Range or it has any other form, which the
 * hub ignores and answers with the whole body (a server may ignore Range, RFC 9110 §14.2).
 */
export function resumeOffset(range: string | undefined): number | null {
  const match = OPEN_ENDED.exec(range ?? '');
  return match ? Number(match[1]) : null;
}
