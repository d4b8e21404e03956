import type { Hub } from './hub.js';

/** The link ops of conferences (docs/hub-protocol.md, "Conferences"). */
export function registerConferenceOps(hub: Hub): void {
  const conferences = hub.conferences;
  hub.links.register('conf.create', (session, args) =>
    conferences.create(session, String(args.title), Number(args.confType), args.invite as string[]),
  );
  hub.links.register('conf.join', (session, args) => conferences.joinNamed(session, String(args.cid)));
  hub.links.register('conf.accept', (session, args) => conferences.accept(session, String(args.confId)));
  hub.links.register('conf.reject', (session, args) => {
    conferences.reject(session, String(args.confId));
    return {};
  });
  hub.links.register('conf.leave', (session, args) => conferences.leave(session, Boolean(args.forAll)));
  hub.links.register('conf.invite', async (session, args) => {
    await conferences.inviteMore(session, String(args.peerId));
    return {};
  });
}
