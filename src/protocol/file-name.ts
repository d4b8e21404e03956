const MAX_NAME_BYTES = 255;
// TextEncoder rather than Buffer: this module is also bundled into the browser build.
const encoder = new TextEncoder();

/**
 * The file-name rule of room-api.md §6: path separators, NUL and control characters removed, leading dots
 * stripped, at most 255 bytes of UTF-8, `file` when nothing is left. The result is a label, never a path.
 */
export function sanitizeFileName(raw: string): string {
  // eslint-disable-next-line no-control-regex
  let name = raw.replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '');
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
