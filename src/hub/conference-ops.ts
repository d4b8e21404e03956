import type { Conferences } from './conferences.js';
import type { LinkRegistry } from './link-registry.js';

/** The link ops of conferences (docs/hub-protocol.md, "Conferences"). */
export function registerConferenceOps(links: LinkRegistry, conferences: Conferences): void {
  links.register('conf.create', (session, { title, confType, invite }) =>
    conferences.create(session, title, confType, invite),
  );
  links.register('conf.join', (session, { cid }) => conferences.joinNamed(session, cid));
  links.register('conf.accept', (session, { confId }) => conferences.accept(session, confId));
  links.register('conf.reject', async (session, { confId }) => {
    await conferences.reject(session, confId);
    return {};
  });
  links.register('conf.leave', (session, { forAll }) => conferences.leave(session, forAll));
  links.register('conf.invite', async (session, { peerId }) => {
    await conferences.inviteMore(session, peerId);
    return {};
  });
}
