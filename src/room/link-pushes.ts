import type { LinkPush } from '../protocol/hub-link.js';
import type { Session } from './session.js';

/** Pushes about offers and sends: the transfer engine's. */
export type TransferPush = Extract<LinkPush, { push: 'offer' | 'offer.state' | 'send.state' }>;
/** Pushes about conferences and invitations: the conference state's. */
export type ConferencePush = Extract<LinkPush, { push: `conf.${string}` }>;

export interface PushTargets {
  transfers: (push: TransferPush) => void;
  conference: (push: ConferencePush) => void;
}

/**
 * Where each push of the hub goes (docs/hub-protocol.md). The session keeps `policy` and `loggedOut`
 * for itself and passes on the rest, only while logged in. Returns the unsubscribe.
 */
export function routeLinkPushes(session: Session, targets: PushTargets): () => void {
  const route = (push: LinkPush): void => {
    switch (push.push) {
      case 'offer':
      case 'offer.state':
      case 'send.state':
        return targets.transfers(push);
      case 'conf.invite':
      case 'conf.joined':
      case 'conf.left':
      case 'conf.ended':
      case 'conf.rejected':
      case 'conf.uninvite':
        return targets.conference(push);
      case 'policy':
      case 'loggedOut':
        return;
      default: {
        // A push added to the link table must be routed here: this fails to compile until it is.
        const unrouted: never = push;
        return unrouted;
      }
    }
  };
  session.on('push', route);
  return () => session.off('push', route);
}
