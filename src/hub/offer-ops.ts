import type { Hub } from './hub.js';

/** The link ops of offers and sends (docs/hub-protocol.md, "Offers"). */
export function registerOfferOps(hub: Hub): void {
  const offers = hub.offers;
  hub.links.register('offer.create', (session, args) => offers.create(session, args));
  hub.links.register('offer.accept', async (session, { offerId }) => {
    await offers.accept(session, offerId);
    return {};
  });
  hub.links.register('offer.reject', async (session, { offerId }) => {
    await offers.reject(session, offerId);
    return {};
  });
  hub.links.register('offer.done', async (session, { offerId }) => {
    await offers.finish(session, offerId, 'done');
    return {};
  });
  hub.links.register('offer.failed', async (session, { offerId }) => {
    await offers.finish(session, offerId, 'failed');
    return {};
  });
  hub.links.register('offer.seen', async (session, args) => {
    await offers.seen(session, args.offers);
    return {};
  });
  hub.links.register('send.seen', async (session, { sendId, status }) => {
    await offers.sendSeen(session, sendId, status);
    return {};
  });
  hub.links.register('sync', (session) => offers.sync(session));
}
