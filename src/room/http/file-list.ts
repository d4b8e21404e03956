import { ApiError } from '../../protocol/errors.js';
import {
  DeleteReply,
  FileIdParams,
  FileListReply,
  HttpErrorReplies,
  TokenQuery,
} from '../../protocol/http-routes.js';
import type { TypedFastify } from '../../common/fastify.js';
import type { FileLibrary } from '../file-library.js';
import type { Logger } from 'pino';
import { fileEntry } from '../views.js';
import { sendError } from './errors.js';
import { fileIdErrors } from './file-id.js';

/** `GET /files/` [ext]: the same list as getFileList; `DELETE /files/<fileId>` [ext]: as deleteFileTransferFile. */
export function fileListRoutes(app: TypedFastify, library: FileLibrary, logger: Logger): void {
  app.get(
    '/files',
    { schema: { querystring: TokenQuery, response: { 200: FileListReply, ...HttpErrorReplies } } },
    async () => ({ fileList: library.list().map(fileEntry) }),
  );

  app.delete(
    '/files/:fileId',
    {
      schema: {
        params: FileIdParams,
        querystring: TokenQuery,
        response: { 200: DeleteReply, ...HttpErrorReplies },
      },
      errorHandler: fileIdErrors(logger),
    },
    async (request, reply) => {
      try {
        const announce = await library.delete(Number(request.params.fileId));
        announce();
      } catch (error) {
        if (error instanceof ApiError) return sendError(reply, error.errorCode, error.message);
        throw error;
      }
      return reply.send({ result: true });
    },
  );
}

/** `GET /frames/…`: a room has no video, so no frames (room-api.md §7). */
export function framesRoute(app: TypedFastify): void {
  const schema = { querystring: TokenQuery, response: HttpErrorReplies };
  // `/frames/` is `/frames` to the router (trailing slashes are ignored), which `/frames/*` does not match.
  for (const url of ['/frames', '/frames/*']) {
    app.get(url, { schema }, async (_request, reply) =>
      sendError(reply, 404, 'video frames are not available'),
    );
  }
}
