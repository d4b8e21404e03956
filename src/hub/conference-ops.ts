import type { Hub } from './hub.js';

/** The link ops of conferences (docs/hub-protocol.md, "Conferences"). */
export function registerConferenceOps(hub: Hub): void {
  const conferences = hub.conferences;
  hub.links.register('conf.create', (session, { title, confType, invite }) =>
    conferences.create(session, title, confType, invite),
  );
  hub.links.register('conf.join', (session, { cid }) => conferences.joinNamed(session, cid));
  hub.links.register('conf.accept', (session, { confId }) => conferences.accept(session, confId));
  hub.links.register('conf.reject', (session, { confId }) => {
    conferences.reject(session, confId);
    return {};
  });
  hub.links.register('conf.leave', (session, { forAll }) => conferences.leave(session, forAll));
  hub.links.register('conf.invite', async (session, { peerId }) => {
    await conferences.inviteMore(session, peerId);
    return {};
  });
}
