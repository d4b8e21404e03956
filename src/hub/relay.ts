import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../protocol/hub-link.js';
import { BlobError } from './blob-store.js';
import type { Hub } from './hub.js';
import type { LinkSession } from './link-session.js';

const SHA = /^[0-9a-f]{64}$/;

function fail(reply: FastifyReply, status: number, error: string, extra: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(extra)) reply.header(name, value);
  return reply.code(status).send({ error, errorCode: status });
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/**
 * The hub's body routes (docs/hub-protocol.md, "Bodies"): a sender's room uploads resumably (HEAD tells the
 * offset held, PATCH appends from it); a recipient's room downloads with Range, and the hub streams bytes to it
 * while they are still arriving from the sender. Each route checks that the offer or send is the caller's own.
 */
export function registerRelay(hub: Hub, app: FastifyInstance): void {
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

  const authorize = (request: FastifyRequest, reply: FastifyReply): LinkSession | null => {
    const session = hub.links.sessionByToken(bearer(request));
    if (!session?.account) {
      void fail(reply, 401, 'a logged-in room session is required');
      return null;
    }
    return session;
  };

  app.head(
    `${BLOB_PATH}/:sha`,
    async (request: FastifyRequest<{ Params: { sha: string }; Querystring: { send?: string } }>, reply) => {
      const session = authorize(request, reply);
      if (!session) return reply;
      const send = request.query.send ? await hub.repo.getSend(request.query.send) : undefined;
      if (!send || send.sender !== session.account!.name || send.sha256 !== request.params.sha) {
        return fail(reply, 404, 'no such send');
      }
      const held = await hub.blobs.held(send.sha256, send.sender, send.fileSize);
      reply.header(UPLOAD_OFFSET_HEADER, String(held));
      reply.header(
        'blob-complete',
        held === send.fileSize && (await hub.blobs.isComplete(send.sha256)) ? '1' : '0',
      );
      return reply.code(204).send();
    },
  );

  app.patch(
    `${BLOB_PATH}/:sha`,
    async (request: FastifyRequest<{ Params: { sha: string }; Querystring: { send?: string } }>, reply) => {
      const session = authorize(request, reply);
      if (!session) return reply;
      const sha = request.params.sha;
      const offset = Number(request.headers[UPLOAD_OFFSET_HEADER]);
      if (!SHA.test(sha) || !Number.isSafeInteger(offset) || offset < 0) {
        return fail(reply, 400, `a sha256 path and a numeric ${UPLOAD_OFFSET_HEADER} header are required`);
      }
      const send = request.query.send ? await hub.repo.getSend(request.query.send) : undefined;
      if (!send || send.sender !== session.account!.name || send.sha256 !== sha)
        return fail(reply, 404, 'no such send');
      const target = await hub.offers.uploadTarget(send.sender, sha);
      if (!target) {
        const complete = await hub.blobs.isComplete(sha);
        reply.header(UPLOAD_OFFSET_HEADER, String(complete ? send.fileSize : 0));
        return complete ? reply.code(204).send() : fail(reply, 409, 'this send is not waiting for its body');
      }
      hub.stats.uploadsStarted += 1;
      try {
        const result = await hub.blobs.append(sha, send.sender, offset, send.fileSize, request.raw, (bytes) =>
          hub.stats.countReceived(sha, bytes),
        );
        reply.header(UPLOAD_OFFSET_HEADER, String(result.held));
        if (result.complete) {
          hub.stats.uploadsCompleted += 1;
          await hub.offers.onBlobComplete(sha);
        }
        return reply.code(204).send();
      } catch (error) {
        if (error instanceof BlobError) {
          if (error.kind === 'mismatch') {
            await hub.offers.onBlobMismatch(sha, send.sender);
            return fail(reply, 422, error.message);
          }
          const status = error.kind === 'too_large' ? 413 : 409;
          return fail(reply, status, error.message, {
            [UPLOAD_OFFSET_HEADER]: String(error.held),
            connection: 'close',
          });
        }
        // The sender went away mid-body: what arrived is kept, and the next upload resumes from it.
        hub.logger.debug({ err: (error as Error).message, sha }, 'upload interrupted');
        return reply.code(499).send();
      }
    },
  );

  app.get(
    `${BLOB_PATH}/:sha`,
    async (request: FastifyRequest<{ Params: { sha: string }; Querystring: { offer?: string } }>, reply) => {
      const session = authorize(request, reply);
      if (!session) return reply;
      const offer = request.query.offer ? await hub.repo.getOffer(request.query.offer) : undefined;
      if (!offer || offer.recipient !== session.account!.name) return fail(reply, 404, 'no such offer');
      const send = (await hub.repo.getSend(offer.sendId))!;
      if (send.sha256 !== request.params.sha) return fail(reply, 404, 'no such offer');
      if (offer.state !== 'accepted' || offer.acceptedBy !== session.instanceId) {
        return fail(
          reply,
          409,
          `offer ${offer.offerId} is ${offer.state}${offer.acceptedBy !== session.instanceId ? ' by another room' : ''}`,
        );
      }
      const range = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
      const start = range ? Number(range[1]) : 0;
      if (start > send.fileSize)
        return fail(reply, 416, `range starts past the end (${send.fileSize} bytes)`);
      const controller = new AbortController();
      request.raw.on('close', () => controller.abort());
      const body = hub.blobs.read(send.sha256, send.sender, start, send.fileSize, controller.signal);
      body.on('data', (chunk: Buffer) => {
        hub.stats.bytesSent += chunk.length;
      });
      reply.header('content-length', String(send.fileSize - start));
      reply.header('content-type', 'application/octet-stream');
      if (range) reply.header('content-range', `bytes ${start}-${send.fileSize - 1}/${send.fileSize}`);
      return reply.code(range ? 206 : 200).send(body);
    },
  );
}
