/**
 * The hub's HTTP routes for bodies, next to the link on the same port (docs/hub-protocol.md, "Bodies"). Kept apart
 * from the link's schemas so that the room's receive worker loads these names and nothing else.
 */
export const BLOB_PATH = '/blobs';
export const UPLOAD_OFFSET_HEADER = 'upload-offset';
/** On HEAD: `1` when the hub holds the whole verified body, else `0`. */
export const BLOB_COMPLETE_HEADER = 'blob-complete';
