import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { sanitizeFileName } from '../../protocol/file-name.js';
import { HttpErrorReplies, UploadHeaders, UploadQuery, UploadReply } from '../../protocol/http-routes.js';
import type { TypedFastify } from '../../common/fastify.js';
import { UploadLimitError, type FileStore } from '../file-store.js';
import { fileEntry } from '../views.js';
import { sendError } from './errors.js';
import { DISK_FULL_MESSAGE, isDiskFull } from '../../common/disk-full.js';

/** Multipart framing around a body: a request whose Content-Length exceeds the limit by more is refused early. */
const MULTIPART_SLACK = 64 * 1024;

export interface UploadDeps {
  files: FileStore;
  maxPostBytes: () => number;
  quotaBytes: () => number;
}

/** The size limit and the quota as they are when an upload starts: the whole upload is held to them. */
interface Limits {
  maxBytes: number;
  quotaBytes: number;
}

/** A refusal of an upload: its status and words, and whether the body was read to its end already. */
interface Refusal {
  status: number;
  message: string;
  bodyRead?: boolean;
}

/** An upload's body and the name it came with. */
interface Body {
  source: Readable;
  name: string;
}

/**
 * Browsers write a multipart file name with `"`, CR and LF percent-encoded (HTML's form encoding), and busboy
 * leaves them so: without this, `a "b".txt` would be stored as `a %22b%22.txt`.
 */
function decodeFormFileName(raw: string): string {
  return raw.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

/** A body that the declared Content-Length already shows is too large for the limit or the quota. */
function refusedByLength(
  declared: number | undefined,
  slack: number,
  { maxBytes, quotaBytes }: Limits,
  files: FileStore,
): Refusal | null {
  if (declared === undefined) return null;
  if (declared > maxBytes + slack) {
    return { status: 413, message: `the file is larger than the limit of ${maxBytes} bytes` };
  }
  if (files.usedBytes() + declared - slack > quotaBytes) {
    return { status: 507, message: `the room's storage quota of ${quotaBytes} bytes is full` };
  }
  return null;
}

/** The file part of a multipart body, or why there is none. */
async function multipartBody(request: FastifyRequest): Promise<Body | Refusal> {
  let part: Awaited<ReturnType<FastifyRequest['file']>>;
  try {
    part = await request.file();
  } catch (error) {
    // A body the parser cannot read (no boundary, cut framing) is the client's error, not a failure here.
    if ((error as { statusCode?: number }).statusCode) throw error;
    return { status: 400, message: `the multipart body could not be read: ${(error as Error).message}` };
  }
  if (!part) {
    const message = 'the multipart body has no file part (expected a part named "file")';
    return { status: 400, message, bodyRead: true };
  }
  return { source: part.file, name: decodeFormFileName(part.filename ?? '') };
}

/** Streams the body to disk; what went wrong becomes a refusal, and nothing of the body is kept then. */
async function store(body: Body, files: FileStore, limits: Limits): Promise<UploadReply | Refusal> {
  let sourceError: unknown;
  body.source.on('error', (error) => (sourceError ??= error));
  try {
    const record = await files.receive(body.source, sanitizeFileName(body.name), limits);
    const { fileId, fileName, fileSize } = fileEntry(record);
    return { fileId, fileName, fileSize };
  } catch (error) {
    if (error instanceof UploadLimitError)
      return { status: error.kind === 'size' ? 413 : 507, message: error.message };
    // Before the source check: a full disk fails the write, and the pipeline hands the same error to the source.
    if (isDiskFull(error)) return { status: 507, message: DISK_FULL_MESSAGE };
    if (error === sourceError) {
      // The body broke off or its multipart framing is wrong: nothing was kept (FileStore.receive).
      return { status: 400, message: `the upload could not be read: ${(error as Error).message}` };
    }
    throw error;
  }
}

const isRefusal = (value: object): value is Refusal => 'status' in value;

/** A refusal closes the connection unless the body was read whole: the client may still be sending it. */
function refuse(reply: FastifyReply, refusal: Refusal): FastifyReply {
  if (!refusal.bodyRead) reply.header('connection', 'close');
  return sendError(reply, refusal.status, refusal.message);
}

/**
 * `POST /files/` (room-api.md §7): a multipart body with a part named `file`, or a raw body [ext] named by
 * `?name=`, streamed to disk under the size limit and the room's quota.
 */
export function uploadRoute(app: TypedFastify, deps: UploadDeps): void {
  app.register(multipart, {
    // Keep the name as sent: sanitizeFileName removes separators (room-api.md §6, `../../etc/passwd` →
    // `etcpasswd`); busboy's default would cut it to its last path segment instead.
    preservePath: true,
    limits: { files: 1, fields: 16, fieldSize: 64 * 1024, fileSize: Number.MAX_SAFE_INTEGER },
  });
  // The raw-body upload [ext]: the body is handed over unread and streamed to disk by the route.
  app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));

  app.post(
    '/files',
    {
      schema: {
        querystring: UploadQuery,
        headers: UploadHeaders,
        response: { 200: UploadReply, ...HttpErrorReplies },
      },
    },
    async (request, reply) => {
      const limits = { maxBytes: deps.maxPostBytes(), quotaBytes: deps.quotaBytes() };
      const isMultipart = request.isMultipart();
      const declared = request.headers['content-length'];
      const early = refusedByLength(
        declared === undefined ? undefined : Number(declared),
        isMultipart ? MULTIPART_SLACK : 0,
        limits,
        deps.files,
      );
      if (early) return refuse(reply, early);

      let body: Body | Refusal;
      if (isMultipart) body = await multipartBody(request);
      else if ((request.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
        body = { source: request.raw, name: request.query.name ?? '' };
      } else {
        return sendError(
          reply,
          415,
          'send multipart/form-data with a part named "file", or application/octet-stream',
        );
      }
      if (isRefusal(body)) return refuse(reply, body);

      const stored = await store(body, deps.files, limits);
      if (isRefusal(stored)) return refuse(reply, stored);
      return reply.header('FileId', String(stored.fileId)).send(stored);
    },
  );
}
