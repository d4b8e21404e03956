const MAX_NAME_BYTES = 255;
// TextEncoder rather than Buffer: this module is also bundled into the browser build.
const encoder = new TextEncoder();
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The file-name rule of room-api.md §6: path separators, NUL and control characters removed, leading dots
 * stripped, at most 255 bytes of UTF-8, `file` when nothing is left. The result is a label, never a path.
 */
export function sanitizeFileName(raw: string): string {
  // A lone surrogate (possible in JSON: "\ud800") is no character at all: it has no UTF-8 form, and it makes
  // encodeURIComponent throw (Content-Disposition). It becomes U+FFFD, as TextEncoder would count it.
  let name = raw.replace(LONE_SURROGATE, '\ufffd');
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '');
  name = name.replace(/^\.+/, '');
  name = truncateUtf8(name, MAX_NAME_BYTES);
  return name.length > 0 ? name : 'file';
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character (or a surrogate pair). */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (encoder.encode(value).length <= maxBytes) return value;
  let bytes = 0;
  let out = '';
  for (const char of value) {
    const size = encoder.encode(char).length;
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}
