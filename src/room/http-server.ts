import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createFastify } from '../common/fastify.js';
import multipart from '@fastify/multipart';
import send from '@fastify/send';
import { create as contentDisposition } from 'content-disposition';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
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

export interface HttpServerDeps {
  host: string;
  auth: AuthManager;
  files: FileStore;
  library: FileLibrary;
  origins: OriginPolicy;
  logger: Logger;
  maxPostBytes: () => number;
  quotaBytes: () => number;
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

function parseFileId(raw: string): number | null {
  return /^[0-9]{1,10}$/.test(raw) && Number(raw) < 2 ** 31 ? Number(raw) : null;
}

/**
 * The room's built-in HTTP server (room-api.md §7): file bodies in and out, streamed, behind the HTTP token.
 * A new Fastify instance is built for every start, because a closed one cannot listen again.
 */
export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = createFastify(deps.logger, {
    // Large bodies stream for as long as they need; only a stalled connection is cut.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 5000,
    bodyLimit: 64 * 1024,
  });

  app.register(multipart, {
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
      const part = await request.file();
      if (!part)
        return sendError(reply, 400, 'the multipart body has no file part (expected a part named "file")');
      source = part.file;
      name = part.filename ?? '';
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
    try {
      record = await deps.files.receive(source, sanitizeFileName(name), { maxBytes, quotaBytes });
    } catch (error) {
      if (error instanceof UploadLimitError) {
        return refuseEarly(error.kind === 'size' ? 413 : 507, error.message);
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
    reply.header('content-disposition', contentDisposition(file.fileName, { type: 'attachment' }));
    reply.header('etag', `"${file.sha256}"`);
    reply.header('accept-ranges', 'bytes');
    reply.header('cache-control', 'private, no-cache');
    const result = await send(request.raw, deps.files.pathOf(fileId), {
      etag: false,
      lastModified: false,
      acceptRanges: true,
      cacheControl: false,
      dotfiles: 'allow',
      highWaterMark: 1 << 20,
    });
    if (result.type === 'error') {
      const status = (result.metadata.error as { status?: number }).status ?? 500;
      return sendError(reply, status === 404 ? 404 : status, `file ${fileId} could not be read`);
    }
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
