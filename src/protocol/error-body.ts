/**
 * How much of an error body is read: its message is a sentence, and a server that sends more (a proxy's page,
 * a broken peer) cannot make the reader hold more than this.
 */
export const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * The message of an HTTP error body: the `error` of the `{ error, errorCode }` JSON the room's HTTP server
 * (room-api.md §7) and the hub's body routes answer with; otherwise the text itself (a proxy in between may
 * answer in plain text), or `HTTP <status>` when there is none.
 */
export function errorBodyMessage(text: string, status: number): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
      return body.error;
    }
  } catch {
    // Not JSON: the text is the message.
  }
  return text.trim() || `HTTP ${status}`;
}

/**
 * Reads an error response's body (at most ERROR_BODY_LIMIT bytes; reading stops there, which ends the
 * response) and returns its message as errorBodyMessage does. Takes any byte stream: a Node response is one.
 */
export async function readErrorBody(
  body: AsyncIterable<Uint8Array | string>,
  status: number,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of body) {
    const data = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    const room = ERROR_BODY_LIMIT - bytes;
    text += decoder.decode(data.subarray(0, room), { stream: true });
    bytes += Math.min(data.length, room);
    if (bytes >= ERROR_BODY_LIMIT) break;
  }
  return errorBodyMessage(text + decoder.decode(), status);
}
