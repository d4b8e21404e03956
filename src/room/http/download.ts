import send from '@fastify/send';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Static } from '@sinclair/typebox';
import { DownloadHeaders, FileIdParams, HttpErrorReplies, TokenQuery } from '../../protocol/http-routes.js';
import type { TypedFastify } from '../../common/fastify.js';
import type { FileStore } from '../file-store.js';
import type { FileLibrary } from '../file-library.js';
import type { FileRecord } from '../store.js';
import { sendError } from './errors.js';
import { fileIdErrors } from './file-id.js';

export interface DownloadDeps {
  files: FileStore;
  library: FileLibrary;
  logger: Logger;
}

type Conditions = Static<typeof DownloadHeaders>;

/** Whether an If-Match / If-None-Match list names `etag` (`*` matches any); weak tags count only if `weak`. */
function etagListMatches(header: string, etag: string, weak: boolean): boolean {
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    if (tag === '*') return true;
    if (tag.startsWith('W/')) return weak && tag.slice(2) === etag;
    return tag === etag;
  });
}

/**
 * If-Match and If-None-Match, decided here against the sha256 ETag: @fastify/send only knows its own (disabled)
 * weak ETag, so it would answer If-None-Match with 200 and If-Match with 412. Answers the request when a
 * condition decides it.
 */
function answerConditions(
  reply: FastifyReply,
  file: FileRecord,
  etag: string,
  headers: Conditions,
): FastifyReply | null {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined && !etagListMatches(ifMatch, etag, false)) {
    return sendError(reply, 412, `file ${file.fileId} does not match ${ifMatch}`);
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined && etagListMatches(ifNoneMatch, etag, true)) return reply.code(304).send();
  return null;
}

/** One range-spec of RFC 9110 §14.1.1: `first-last`, `first-` or `-suffix` (digits only, no sign, no spaces). */
const RANGE_SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

/**
 * Whether `range` is a syntactically valid `bytes=` range set (RFC 9110 §14.1.2): a valid one that does not fit
 * the body still gets 416, but an invalid one (`bytes=abc`, `bytes=5-2`, another unit) must be ignored and the
 * whole body served with 200 (RFC 9110 §14.2).
 */
export function validByteRanges(range: string): boolean {
  const match = /^bytes=(.*)$/i.exec(range.trim());
  if (!match) return false;
  const specs = match[1].split(',').map((spec) => spec.trim());
  return specs.every((spec) => {
    const parts = RANGE_SPEC.exec(spec);
    if (!parts) return false;
    if (parts[3] !== undefined) return true;
    // last < first is invalid, not unsatisfiable (RFC 9110 §14.1.1).
    return parts[2] === '' || BigInt(parts[2]) >= BigInt(parts[1]);
  });
}

/** The body, whole or the range asked for (If-Range: only while the ETag still matches), streamed from disk. */
async function sendBody(
  reply: FastifyReply,
  file: FileRecord,
  etag: string,
  method: string | undefined,
  headers: Conditions,
  deps: DownloadDeps,
): Promise<FastifyReply> {
  const { range, 'if-range': ifRange } = headers;
  const rangeApplies =
    range !== undefined && validByteRanges(range) && (ifRange === undefined || ifRange.trim() === etag);
  const result = await send(
    { method, headers: rangeApplies ? { range } : {} } as IncomingMessage,
    deps.files.pathOf(file.fileId),
    {
      etag: false,
      lastModified: false,
      acceptRanges: true,
      cacheControl: false,
      dotfiles: 'allow',
      highWaterMark: 1 << 20,
    },
  );
  if (result.type === 'error') {
    const status = (result.metadata.error as { status?: number }).status ?? 500;
    // 416 carries `Content-Range: bytes */<size>` (RFC 9110 §15.5.17).
    const contentRange = result.headers['Content-Range'];
    if (contentRange !== undefined) reply.header('content-range', contentRange);
    if (status === 416)
      return sendError(reply, 416, `range ${range} is not satisfiable for file ${file.fileId}`);
    if (status >= 500)
      deps.logger.error({ err: result.metadata.error, fileId: file.fileId }, 'file body unreadable');
    return sendError(reply, status, `file ${file.fileId} could not be read`);
  }
  reply.header('content-disposition', contentDisposition(file.fileName, { type: 'attachment' }));
  reply.code(result.statusCode);
  for (const [header, value] of Object.entries(result.headers)) reply.header(header, value);
  return reply.send(result.stream);
}

/**
 * `GET /files/<fileId>` (and HEAD; room-api.md §7): the body as an attachment under its UTF-8 name, with its
 * sha256 as ETag, byte ranges, and conditional requests.
 */
export function downloadRoute(app: TypedFastify, deps: DownloadDeps): void {
  app.get(
    '/files/:fileId',
    {
      schema: {
        params: FileIdParams,
        querystring: TokenQuery,
        headers: DownloadHeaders,
        response: HttpErrorReplies,
      },
      errorHandler: fileIdErrors(deps.logger),
    },
    async (request, reply) => {
      const file = deps.library.find(Number(request.params.fileId));
      if (!file) return sendError(reply, 404, `file ${request.params.fileId} does not exist`);
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', 'private, no-cache');
      const etag = `"${file.sha256}"`;
      reply.header('etag', etag);
      return (
        answerConditions(reply, file, etag, request.headers) ??
        sendBody(reply, file, etag, request.raw.method, request.headers, deps)
      );
    },
  );
}
