import type { TObject } from '@sinclair/typebox';
import { compileCheck, type Check } from './schema-check.js';
import { LinkFailureSchema, linkOps, linkPushes, type LinkOp, type LinkPushName } from './hub-link.js';

/**
 * The link table compiled, once per schema and only when first used: the hub checks the arguments it receives
 * and the replies and pushes it sends, the room checks the replies and pushes it receives.
 */
const cache = new Map<TObject, Check>();

function checkOf(schema: TObject): Check {
  let check = cache.get(schema);
  if (!check) {
    check = compileCheck(schema);
    cache.set(schema, check);
  }
  return check;
}

export function isLinkOp(name: string): name is LinkOp {
  return Object.hasOwn(linkOps, name);
}

export function isLinkPush(name: string): name is LinkPushName {
  return Object.hasOwn(linkPushes, name);
}

/** null when `message` carries valid arguments for `op`, else what is wrong with them. */
export function checkLinkArgs(op: LinkOp, message: unknown): string | null {
  return checkOf(linkOps[op].args)(message);
}

export function checkLinkReply(op: LinkOp, reply: unknown): string | null {
  return checkOf(linkOps[op].reply)(reply);
}

export function checkLinkFailure(reply: unknown): string | null {
  return checkOf(LinkFailureSchema)(reply);
}

export function checkLinkPush(name: LinkPushName, push: unknown): string | null {
  return checkOf(linkPushes[name])(push);
}
