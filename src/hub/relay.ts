import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { BLOB_COMPLETE_HEADER, BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../protocol/body-routes.js';
import { Sha256, Uuid } from '../protocol/hub-link.js';
import { BlobError } from './blob-store.js';
import type { Bodies } from './bodies.js';
import { bearerOf, requireBearer } from './body-bearer.js';
import type { BodyOwnership } from './body-ownership.js';
import { BodySlots } from './body-slots.js';
import type { Quotas } from './quotas.js';
import type { BodyNeeds } from './body-needs.js';
import { resumeOffset } from './byte-range.js';
import { refuse, refuseInvalid } from './http-refusal.js';
import { HttpStatus } from './http-status.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubQueries } from './repository.js';
import type { HubStats } from './stats.js';
import type { UploadOutcomes } from './upload-outcomes.js';

const BlobParams = T.Object({ sha: Sha256 });
const SendQuery = T.Object({ send: Uuid });
const OfferQuery = T.Object({ offer: Uuid });
const UploadHeaders = T.Object({
  [UPLOAD_OFFSET_HEADER]: T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
});

const NO_SUCH_SEND = 'no such send';
const NO_SUCH_OFFER = 'no such offer';
const BAD_UPLOAD = `a sha256 path and a numeric ${UPLOAD_OFFSET_HEADER} header are required`;

/** Why an upload fails on a full store: the 507's text, and the text the sender's room shows. */
const NO_ROOM = 'the hub has no room for this body';

/** Statuses of the refusals an upload can meet on its way into the store, with the offset to resume from. */
const UPLOAD_REFUSAL = {
  busy: HttpStatus.Conflict,
  offset: HttpStatus.Conflict,
  too_large: HttpStatus.ContentTooLarge,
  // The hub lost its lock on the upload (its database connection dropped): the room retries from the offset.
  lost: HttpStatus.ServiceUnavailable,
} as const;

export interface RelayParts {
  links: Pick<LinkRegistry, 'bearerOf'>;
  repo: HubQueries;
  bodies: Bodies;
  ownership: BodyOwnership;
  needs: BodyNeeds;
  outcomes: UploadOutcomes;
  stats: HubStats;
  logger: Logger;
  /** Bounds on the body requests running per link and per account (default: DEFAULT_BODY_SLOTS). */
  slots?: BodySlots;
  /** The per-account quota of bytes held; without it, none. */
  quotas?: Quotas;
}

const BUSY = 'too many body transfers under way for this room or account: try again shortly';

/**
 * The hub's body routes (docs/hub-protocol.md, "Bodies"): a sender's room uploads resumably (HEAD tells the
 * offset held, PATCH appends from it); a recipient's room downloads with Range, and the hub streams bytes to it
 * while they are still arriving from the sender. Each route checks that the offer or send is the caller's own;
 * one that names none (or names it wrongly) is refused as not found, as an unknown one is.
 */
export function registerRelay(app: FastifyInstance, parts: RelayParts): void {
  const { repo, bodies, ownership, needs, outcomes, stats, logger } = parts;
  const slots = parts.slots ?? new BodySlots();
  /** Takes a slot for the request, released when its connection closes; false (429 sent) when none is free. */
  const slotFor = (request: FastifyRequest, reply: FastifyReply, kind: 'GET' | 'PATCH'): boolean => {
    const release = slots.take(bearerOf(request), kind);
    if (!release) {
      void refuse(reply, HttpStatus.TooManyRequests, BUSY, { 'retry-after': '2' });
      return false;
    }
    reply.raw.once('close', release);
    return true;
  };
  /**
   * Marks the body in use until the request's connection closes (no removal on any process takes it meanwhile),
   * and then removes it if nothing needs it any more: a removal skipped for this request is done here.
   */
  const using = async (reply: FastifyReply, sha: string) => {
    const use = await bodies.use(sha);
    const done = () => {
      use
        .release()
        .then(() => needs.collectBody(sha))
        .catch((error: unknown) =>
          logger.warn(
            { err: error instanceof Error ? error.message : error, sha },
            'collecting a body failed',
          ),
        );
    };
    // The connection may have closed while the use was being taken: then no 'close' is coming to release it.
    if (reply.raw.closed || reply.raw.destroyed) done();
    else reply.raw.once('close', done);
    return use;
  };
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  routes.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
  const preValidation = requireBearer(parts.links);
  const path = `${BLOB_PATH}/:sha`;

  routes.head(
    path,
    {
      schema: { params: BlobParams, querystring: SendQuery },
      preValidation,
      errorHandler: refuseInvalid(() => [HttpStatus.NotFound, NO_SUCH_SEND]),
    },
    async (request, reply) => {
      const send = await repo.getSend(request.query.send);
      if (!send || send.sender !== bearerOf(request).account || send.sha256 !== request.params.sha) {
        return refuse(reply, HttpStatus.NotFound, NO_SUCH_SEND);
      }
      // What this sender's own bytes hold: another account's copy of the body tells it nothing.
      const held = await ownership.held(send);
      const complete =
        held === send.fileSize && (await ownership.owns(send.sender, send.sha256, send.fileSize));
      return reply
        .headers({ [UPLOAD_OFFSET_HEADER]: String(held), [BLOB_COMPLETE_HEADER]: complete ? '1' : '0' })
        .code(HttpStatus.NoContent)
        .send();
    },
  );

  routes.patch(
    path,
    {
      schema: { params: BlobParams, querystring: SendQuery, headers: UploadHeaders },
      preValidation,
      // A bad path or offset was refused before the send was looked up, so it still is when both are wrong.
      errorHandler: refuseInvalid((part, request) =>
        part === 'querystring' && request.validateInput(request.headers, 'headers')
          ? [HttpStatus.NotFound, NO_SUCH_SEND]
          : [HttpStatus.BadRequest, BAD_UPLOAD],
      ),
    },
    async (request, reply) => {
      const { sha } = request.params;
      const send = await repo.getSend(request.query.send);
      if (!send || send.sender !== bearerOf(request).account || send.sha256 !== sha) {
        return refuse(reply, HttpStatus.NotFound, NO_SUCH_SEND);
      }
      await using(reply, sha);
      const owned = await ownership.owns(send.sender, sha, send.fileSize);
      if (!(await needs.uploadTarget(send.sender, sha))) {
        reply.header(UPLOAD_OFFSET_HEADER, String(owned ? send.fileSize : 0));
        return owned
          ? reply.code(HttpStatus.NoContent).send()
          : refuse(reply, HttpStatus.Conflict, 'this send is not waiting for its body');
      }
      if (owned) {
        // This account uploaded these bytes before: its send waiting for them is done without a new upload.
        await outcomes.completed(sha, send.sender);
        reply.header(UPLOAD_OFFSET_HEADER, String(send.fileSize));
        return reply.code(HttpStatus.NoContent).send();
      }
      if (!slotFor(request, reply, 'PATCH')) return reply;
      const overQuota = await parts.quotas?.refusal(send.sender, sha, send.fileSize);
      if (overQuota) {
        // The send fails for its sender and every recipient; nothing of it is kept (docs/security.md, "Quotas").
        logger.warn({ sender: send.sender, sendId: send.sendId }, overQuota);
        await bodies.discardUpload({ sha256: sha, uploader: send.sender }).catch(() => undefined);
        await outcomes.failed(sha, send.sender, overQuota);
        return refuse(reply, HttpStatus.InsufficientStorage, overQuota, { connection: 'close' });
      }
      stats.uploadsStarted += 1;
      const upload = { sha256: sha, uploader: send.sender };
      try {
        const offset = request.headers[UPLOAD_OFFSET_HEADER];
        const result = await bodies.append(upload, offset, send.fileSize, request.raw, (bytes) =>
          stats.countReceived(sha, bytes),
        );
        reply.header(UPLOAD_OFFSET_HEADER, String(result.held));
        if (result.complete) {
          stats.uploadsCompleted += 1;
          await outcomes.completed(sha, send.sender);
        }
        return reply.code(HttpStatus.NoContent).send();
      } catch (error) {
        if (error instanceof BlobError) {
          if (error.kind === 'mismatch') {
            // The same words in the push and in the 422: the sender's room keeps whichever comes first.
            await outcomes.mismatched(sha, send.sender, error.message);
            return refuse(reply, HttpStatus.UnprocessableContent, error.message);
          }
          if (error.kind === 'full') {
            // Not "the sender went away": nothing will make room by itself, so the send fails on every side now,
            // and what it held is dropped to give the space back. A later send works once there is room again.
            logger.error({ sha, sender: send.sender }, 'upload failed: the hub has no room for this body');
            await bodies.discardUpload(upload).catch(() => undefined);
            await outcomes.failed(sha, send.sender, NO_ROOM);
            return refuse(reply, HttpStatus.InsufficientStorage, NO_ROOM, {
              connection: 'close',
            });
          }
          return refuse(reply, UPLOAD_REFUSAL[error.kind], error.message, {
            [UPLOAD_OFFSET_HEADER]: String(error.held),
            connection: 'close',
          });
        }
        return interrupted(reply, error, sha);
      }
    },
  );

  /** The sender went away mid-body: what arrived is kept, the next upload resumes from it. */
  function interrupted(reply: FastifyReply, error: unknown, sha: string) {
    logger.debug({ err: error instanceof Error ? error.message : error, sha }, 'upload interrupted');
    return reply.code(HttpStatus.ClientClosedRequest).send();
  }

  routes.get(
    path,
    {
      schema: { params: BlobParams, querystring: OfferQuery },
      preValidation,
      errorHandler: refuseInvalid(() => [HttpStatus.NotFound, NO_SUCH_OFFER]),
    },
    async (request, reply) => {
      const bearer = bearerOf(request);
      const offer = await repo.getOffer(request.query.offer);
      if (!offer || offer.recipient !== bearer.account)
        return refuse(reply, HttpStatus.NotFound, NO_SUCH_OFFER);
      const send = await repo.getSend(offer.sendId);
      if (!send || send.sha256 !== request.params.sha)
        return refuse(reply, HttpStatus.NotFound, NO_SUCH_OFFER);
      if (offer.state !== 'accepted' || offer.acceptedBy !== bearer.instanceId) {
        const elsewhere = offer.acceptedBy !== bearer.instanceId ? ' by another room' : '';
        return refuse(reply, HttpStatus.Conflict, `offer ${offer.offerId} is ${offer.state}${elsewhere}`);
      }
      const resumeFrom = resumeOffset(request.headers.range);
      const start = resumeFrom ?? 0;
      if (start > send.fileSize) {
        return refuse(
          reply,
          HttpStatus.RangeNotSatisfiable,
          `range starts past the end (${send.fileSize} bytes)`,
        );
      }
      if (!slotFor(request, reply, 'GET')) return reply;
      // Kept going if the use's database connection drops (PostgreSQL restarted): a download does not depend on
      // the database. Only a removal of a body nothing needs could then take it from under it, and end it.
      await using(reply, send.sha256);
      const controller = new AbortController();
      request.raw.on('close', () => controller.abort());
      const upload = { sha256: send.sha256, uploader: send.sender };
      // The sender's own bytes only, until they were verified: never another account's copy of the body.
      const verified = async () =>
        bodies.verifiedBy(upload) || ((await repo.getSend(send.sendId))?.uploaded ?? false);
      const body = bodies.read(upload, start, send.fileSize, controller.signal, verified);
      body.on('data', (chunk: Buffer) => {
        stats.bytesSent += chunk.length;
      });
      reply.header('content-length', String(send.fileSize - start));
      reply.header('content-type', 'application/octet-stream');
      if (resumeFrom === null) return reply.code(HttpStatus.Ok).send(body);
      reply.header('content-range', `bytes ${start}-${send.fileSize - 1}/${send.fileSize}`);
      return reply.code(HttpStatus.PartialContent).send(body);
    },
  );
}
