import { Type as T, type Static } from '@sinclair/typebox';
import { FileEntry } from './common-types.js';

/**
 * What a room's HTTP ports take and answer: `config.json` on the web port (room-api.md §1) and the built-in HTTP
 * server's file routes (§7). The room validates requests against these and serializes replies with them.
 */

/** Every refusal of the built-in HTTP server, a missing token included: `errorCode` is the HTTP status. */
export const HttpErrorBody = T.Object({ error: T.String(), errorCode: T.Integer() });
export type HttpErrorBody = Static<typeof HttpErrorBody>;

/** The route's replies that are errors, for the response schemas of each route. */
export const HttpErrorReplies = { '4xx': HttpErrorBody, '5xx': HttpErrorBody };

/** `GET /public/<anyName>/config.json`: the two other ports, numeric, host names always null. */
export const ConfigJsonParams = T.Object({ name: T.String() });
const PortOnly = T.Object({ hostname: T.Null(), port: T.Integer() });
export const ConfigJson = T.Object({ config: T.Object({ websocket: PortOnly, http: PortOnly }) });

/** The token of getTokenForHttpServer, in the query; `Authorization: Bearer <token>` is accepted as well [ext]. */
export const TokenQuery = T.Object({ token: T.Optional(T.String()) });
export const TokenHeaders = T.Object({ authorization: T.Optional(T.String()) });

/** `/files/<fileId>`: a fileId in decimal. Anything else names no file (404, as an id no file has). */
export const FileIdParams = T.Object({ fileId: T.String({ pattern: '^[0-9]{1,10}$' }) });

/** `POST /files/`: multipart with a part named `file`, or a raw body [ext] whose name is `?name=`. */
export const UploadQuery = T.Object({ ...TokenQuery.properties, name: T.Optional(T.String()) });
export const UploadHeaders = T.Object({
  ...TokenHeaders.properties,
  'content-type': T.Optional(T.String()),
  'content-length': T.Optional(T.String({ pattern: '^[0-9]+$' })),
});
export const UploadReply = T.Object({ fileId: T.Integer(), fileName: T.String(), fileSize: T.Integer() });
export type UploadReply = Static<typeof UploadReply>;

/** `GET /files/<fileId>`: ranges and conditions against the sha256 ETag. */
export const DownloadHeaders = T.Object({
  ...TokenHeaders.properties,
  range: T.Optional(T.String()),
  'if-range': T.Optional(T.String()),
  'if-match': T.Optional(T.String()),
  'if-none-match': T.Optional(T.String()),
});

/** `GET /files/` [ext]: the same list as getFileList. */
export const FileListReply = T.Object({ fileList: T.Array(FileEntry) });

/** `DELETE /files/<fileId>` [ext]: as deleteFileTransferFile. */
export const DeleteReply = T.Object({ result: T.Literal(true) });
