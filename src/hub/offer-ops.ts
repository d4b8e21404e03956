import type { LinkRegistry } from './link-registry.js';
import type { Offers } from './offers.js';

/** The link ops of offers and sends (docs/hub-protocol.md, "Offers"). */
export function registerOfferOps(links: LinkRegistry, offers: Offers): void {
  links.register('offer.create', (session, args) => offers.create(session, args));
  links.register('offer.accept', async (session, { offerId }) => {
    await offers.accept(session, offerId);
    return {};
  });
  links.register('offer.reject', async (session, { offerId }) => {
    await offers.reject(session, offerId);
    return {};
  });
  links.register('offer.done', async (session, { offerId }) => {
    await offers.finish(session, offerId, 'done');
    return {};
  });
  links.register('offer.failed', async (session, { offerId }) => {
    await offers.finish(session, offerId, 'failed');
    return {};
  });
  links.register('offer.seen', async (session, args) => {
    await offers.seen(session, args.offers);
    return {};
  });
  links.register('send.seen', async (session, { sendId, status }) => {
    await offers.sendSeen(session, sendId, status);
    return {};
  });
  links.register('sync', (session) => offers.sync(session));
}
