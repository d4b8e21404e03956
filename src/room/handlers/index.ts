import type { HandlerTable } from './handler.js';
import { sessionHandlers } from './session-handlers.js';
import { httpServerHandlers } from './http-server-handlers.js';
import { fileHandlers } from './file-handlers.js';
import { conferenceHandlers } from './conference-handlers.js';
import { legacyHandlers } from './legacy-handlers.js';

/** Every Room API method has exactly one handler; the type makes a missing one a compile error. */
export const handlers: HandlerTable = {
  ...sessionHandlers,
  ...httpServerHandlers,
  ...fileHandlers,
  ...conferenceHandlers,
  ...legacyHandlers,
};
