import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createFastify } from '../common/fastify.js';
import multipart from '@fastify/multipart';
import send from '@fastify/send';
import { create as contentDisposition } from 'content-disposition';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../protocol/errors.js';
import { sanitizeFileName } from '../protocol/file-name.js';
import { UploadLimitError, type FileStore } from './file-store.js';
import type { FileLibrary } from './file-library.js';
import type { AuthManager } from './auth.js';
import type { OriginPolicy } from './origin-policy.js';
import type { FileRecord } from './store.js';
import { fileEntry } from './views.js';
import { redactUrl } from '../common/logger.js';

/** Multipart framing around a body: a request whose Content-Length exceeds the limit by more is refused early. */
const MULTIPART_SLACK = 64 * 1024;

/** A connection with no traffic in either direction for this long is cut (a stalled upload or download). */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

export interface HttpServerDeps {
  host: string;
  auth: AuthManager;
  files: FileStore;
  library: FileLibrary;
  origins: OriginPolicy;
  logger: Logger;
  maxPostBytes: () => number;
  quotaBytes: () => number;
  /** Idle time after which a connection is cut (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
}

function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, errorCode: status });
}

function tokenOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  if (typeof query.token === 'string') return query.token;
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return undefined;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

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
 * Browsers write a multipart file name with `"`, CR and LF percent-encoded (HTML's form encoding), and busboy
 * leaves them so: without this, `a "b".txt` would be stored as `a %22b%22.txt`.
 */
export function decodeFormFileName(raw: string): string {
  return raw.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

function parseFileId(raw: string): number | null {
  return /^[0-9]{1,10}$/.test(raw) && Number(raw) < 2 ** 31 ? Number(raw) : null;
}

/**
 * The room's built-in HTTP server (room-api.md §7): file bodies in and out, streamed, behind the HTTP token.
 * A new Fastify instance is built for every start, because a closed one cannot listen again.
 */
export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = createFastify(deps.logger, {
    // Large bodies stream for as long as they need; only a stalled connection is cut: a socket with no
    // traffic either way for this long is closed, which ends an upload that stopped (its partial body is
    // removed and its bytes no longer count against the quota).
    requestTimeout: 0,
    connectionTimeout: deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    keepAliveTimeout: 5000,
    bodyLimit: 64 * 1024,
  });

  app.register(multipart, {
    // Keep the name as sent: sanitizeFileName removes separators (room-api.md §6, `../../etc/passwd` →
    // `etcpasswd`); busboy's default would cut it to its last path segment instead.
    preservePath: true,
    limits: { files: 1, fields: 16, fieldSize: 64 * 1024, fileSize: Number.MAX_SAFE_INTEGER },
  });
  // The raw-body upload [ext]: the body is handed over unread and streamed to disk by the route.
  app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && deps.origins.allows(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', 'FileId, Content-Disposition, ETag, Content-Range');
    }
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, HEAD, POST, DELETE');
      reply.header('access-control-allow-headers', 'Authorization, Content-Type, Range');
      return reply.code(204).send();
    }
    deps.logger.debug({ method: request.method, url: redactUrl(request.url) }, 'http request');
    if (!deps.auth.checkHttpToken(tokenOf(request))) {
      // An upload with a bad token may be gigabytes still on their way: close rather than read them all.
      if (hasBody(request)) reply.header('connection', 'close');
      return sendError(reply, 401, 'missing, unknown or expired token: get one with getTokenForHttpServer');
    }
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
  );
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) deps.logger.error({ err: error }, 'http server failure');
    return sendError(reply, status, error.message);
  });

  const upload = async (request: FastifyRequest, reply: FastifyReply) => {
    const maxBytes = deps.maxPostBytes();
    const quotaBytes = deps.quotaBytes();
    const declared = Number(request.headers['content-length'] ?? NaN);
    const isMultipart = request.isMultipart();
    const slack = isMultipart ? MULTIPART_SLACK : 0;
    const refuseEarly = (status: number, message: string) => {
      // The client may still be sending a large body: close rather than read it.
      reply.header('connection', 'close');
      return sendError(reply, status, message);
    };
    if (Number.isFinite(declared) && declared > maxBytes + slack) {
      return refuseEarly(413, `the file is larger than the limit of ${maxBytes} bytes`);
    }
    if (Number.isFinite(declared) && deps.files.usedBytes() + declared - slack > quotaBytes) {
      return refuseEarly(507, `the room's storage quota of ${quotaBytes} bytes is full`);
    }

    let source: Readable;
    let name: string;
    if (isMultipart) {
      let part: Awaited<ReturnType<FastifyRequest['file']>>;
      try {
        part = await request.file();
      } catch (error) {
        // A body the parser cannot read (no boundary, cut framing) is the client's error, not a failure here.
        if ((error as { statusCode?: number }).statusCode) throw error;
        return refuseEarly(400, `the multipart body could not be read: ${(error as Error).message}`);
      }
      if (!part)
        return sendError(reply, 400, 'the multipart body has no file part (expected a part named "file")');
      source = part.file;
      name = decodeFormFileName(part.filename ?? '');
    } else if ((request.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      source = request.raw;
      const query = request.query as Record<string, unknown>;
      name = typeof query.name === 'string' ? query.name : '';
    } else {
      return sendError(
        reply,
        415,
        'send multipart/form-data with a part named "file", or application/octet-stream',
      );
    }

    let record: FileRecord;
    let sourceError: unknown;
    source.on('error', (error) => (sourceError ??= error));
    try {
      record = await deps.files.receive(source, sanitizeFileName(name), { maxBytes, quotaBytes });
    } catch (error) {
      if (error instanceof UploadLimitError) {
        return refuseEarly(error.kind === 'size' ? 413 : 507, error.message);
      }
      if (error === sourceError) {
        // The body broke off or its multipart framing is wrong: nothing was kept (FileStore.receive).
        return refuseEarly(400, `the upload could not be read: ${(error as Error).message}`);
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        return refuseEarly(507, 'the disk of the room is full');
      }
      throw error;
    }
    const entry = fileEntry(record);
    return reply
      .header('FileId', String(record.fileId))
      .send({ fileId: entry.fileId, fileName: entry.fileName, fileSize: entry.fileSize });
  };
  app.post('/files', upload);
  app.post('/files/', upload);

  const list = async () => ({ fileList: deps.library.list().map(fileEntry) });
  app.get('/files', list);
  app.get('/files/', list);

  const download = async (request: FastifyRequest<{ Params: { fileId: string } }>, reply: FastifyReply) => {
    const fileId = parseFileId(request.params.fileId);
    const file = fileId === null ? undefined : deps.library.find(fileId);
    if (!file || fileId === null)
      return sendError(reply, 404, `file ${request.params.fileId} does not exist`);
    reply.header('accept-ranges', 'bytes');
    reply.header('cache-control', 'private, no-cache');
    // Conditional requests are decided here against the sha256 ETag: @fastify/send only knows its own
    // (disabled) weak ETag, so it would answer If-None-Match with 200, If-Match with 412, and ignore ranges
    // under If-Range.
    const etag = `"${file.sha256}"`;
    reply.header('etag', etag);
    const ifMatch = request.headers['if-match'];
    if (ifMatch !== undefined && !etagListMatches(ifMatch, etag, false)) {
      return sendError(reply, 412, `file ${fileId} does not match ${ifMatch}`);
    }
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && etagListMatches(ifNoneMatch, etag, true)) {
      return reply.code(304).send();
    }
    const range = request.headers.range;
    const ifRange = request.headers['if-range'];
    const rangeApplies = range !== undefined && (ifRange === undefined || String(ifRange).trim() === etag);
    const result = await send(
      { method: request.raw.method, headers: rangeApplies ? { range } : {} } as IncomingMessage,
      deps.files.pathOf(fileId),
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
        return sendError(reply, 416, `range ${range} is not satisfiable for file ${fileId}`);
      if (status >= 500) deps.logger.error({ err: result.metadata.error, fileId }, 'file body unreadable');
      return sendError(reply, status, `file ${fileId} could not be read`);
    }
    reply.header('content-disposition', contentDisposition(file.fileName, { type: 'attachment' }));
    reply.code(result.statusCode);
    for (const [header, value] of Object.entries(result.headers)) reply.header(header, value);
    return reply.send(result.stream);
  };
  app.get('/files/:fileId', download);

  app.delete('/files/:fileId', async (request: FastifyRequest<{ Params: { fileId: string } }>, reply) => {
    const fileId = parseFileId(request.params.fileId);
    if (fileId === null) return sendError(reply, 404, `file ${request.params.fileId} does not exist`);
    try {
      const announce = await deps.library.delete(fileId);
      announce();
    } catch (error) {
      if (error instanceof ApiError) return sendError(reply, error.errorCode, error.message);
      throw error;
    }
    return reply.send({ result: true });
  });

  app.get('/frames/*', async (_request, reply) => sendError(reply, 404, 'video frames are not available'));
  app.get('/frames', async (_request, reply) => sendError(reply, 404, 'video frames are not available'));

  return app;
}
