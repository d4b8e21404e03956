import type { Static } from '@sinclair/typebox';
import { sessionMethods } from './session-methods.js';
import { httpServerMethods } from './http-server-methods.js';
import { fileMethods } from './file-methods.js';
import { conferenceMethods } from './conference-methods.js';
import { legacyFileMethods } from './legacy-methods.js';

/** Every method of the Room API, by area: the dispatcher, the SDK and the docs all read this one table. */
export const methods = {
  ...sessionMethods,
  ...httpServerMethods,
  ...fileMethods,
  ...conferenceMethods,
  ...legacyFileMethods,
};

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = Static<(typeof methods)[M]['params']>;
export type MethodReply<M extends MethodName> = Static<(typeof methods)[M]['reply']>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
