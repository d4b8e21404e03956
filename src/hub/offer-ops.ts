import type { Hub } from './hub.js';
import type { OfferStateName } from './repository.js';

/** The link ops of offers and sends (docs/hub-protocol.md, "Offers"). */
export function registerOfferOps(hub: Hub): void {
  const offers = hub.offers;
  hub.links.register('offer.create', (session, args) =>
    offers.create(session, args as Parameters<typeof offers.create>[1]),
  );
  hub.links.register('offer.accept', (session, args) => offers.accept(session, String(args.offerId)));
  hub.links.register('offer.reject', async (session, args) => {
    await offers.reject(session, String(args.offerId));
    return {};
  });
  hub.links.register('offer.done', async (session, args) => {
    await offers.finish(session, String(args.offerId), 'done');
    return {};
  });
  hub.links.register('offer.failed', async (session, args) => {
    await offers.finish(session, String(args.offerId), 'failed');
    return {};
  });
  hub.links.register('offer.seen', async (session, args) => {
    await offers.seen(session, args.offers as { offerId: string; state: OfferStateName }[]);
    return {};
  });
  hub.links.register('send.seen', async (session, args) => {
    await offers.sendSeen(session, String(args.sendId), Number(args.status));
    return {};
  });
  hub.links.register('sync', (session) => offers.sync(session));
}
