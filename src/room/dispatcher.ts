import type { Logger } from 'pino';
import { DISK_FULL_MESSAGE, isDiskFull } from '../common/disk-full.js';
import { ApiError, ErrorCode } from '../protocol/errors.js';
import { echoRequestId, failureReply, successReply, type ReplyEnvelope } from '../protocol/envelope.js';
import { isMethodName, methods, type MethodName } from '../protocol/methods.js';
import { validateParams } from '../protocol/validate.js';
import type { ApiConnection } from './api-connection.js';
import type { AfterReply, CallContext, HandlerTable } from './handlers/handler.js';

/**
 * Turns one incoming text frame into one reply: parse, envelope, method, authorization, role, parameters, then
 * the handler. Every failure becomes the failure reply of room-api.md §2; nothing here closes the connection.
 */
export class Dispatcher {
  constructor(
    private readonly handlers: HandlerTable,
    private readonly makeContext: (
      connection: ApiConnection,
      afterReply: (fn: AfterReply) => void,
    ) => CallContext,
    private readonly logger: Logger,
  ) {}

  /**
   * Returns the reply and what must happen after it is sent: events that a method causes follow its reply
   * (room-api.md §8: the sendFile reply, then outgoingFileRequestSent).
   */
  async dispatch(
    connection: ApiConnection,
    text: string,
  ): Promise<{ reply: ReplyEnvelope; after: AfterReply[] }> {
    const after: AfterReply[] = [];
    const reply = await this.handle(connection, text, after);
    return { reply, after };
  }

  private async handle(connection: ApiConnection, text: string, after: AfterReply[]): Promise<ReplyEnvelope> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return failureReply('', '', 'malformed JSON: the message could not be parsed', ErrorCode.BadRequest);
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return failureReply('', '', 'the message must be a JSON object', ErrorCode.BadRequest);
    }
    const request = message as Record<string, unknown>;
    const requestId = echoRequestId(request.requestId);
    const name = request.method;
    if (typeof name !== 'string' || name === '') {
      // room-api.md §2 gives this reply exactly: empty method and empty requestId.
      return failureReply('', '', 'missing "method": a non-empty string is required', ErrorCode.BadRequest);
    }
    try {
      if (!isMethodName(name)) throw new ApiError(ErrorCode.NotFound, `unknown method "${name}"`);
      this.checkAccess(connection, name);
      validateParams(name, request);
      const handler = this.handlers[name] as (context: CallContext, params: unknown) => unknown;
      const context = this.makeContext(connection, (fn) => after.push(fn));
      const fields = (await handler(context, request)) ?? {};
      return successReply(name, requestId, fields);
    } catch (error) {
      if (error instanceof ApiError) {
        return failureReply(name, requestId, error.message, error.errorCode, error.extra);
      }
      if (isDiskFull(error)) {
        // Nothing was written (SQLite rolled back): a clear answer, and the same call works once space returns.
        this.logger.error({ err: error, method: name }, 'disk full');
        return failureReply(name, requestId, DISK_FULL_MESSAGE, ErrorCode.Internal);
      }
      this.logger.error({ err: error, method: name }, 'handler failed');
      const reason = error instanceof Error ? error.message : String(error);
      return failureReply(name, requestId, `internal failure in ${name}: ${reason}`, ErrorCode.Internal);
    }
  }

  private checkAccess(connection: ApiConnection, name: MethodName): void {
    const access = methods[name].access;
    if (access === 'public') return;
    if (!connection.authorized) {
      throw new ApiError(ErrorCode.Unauthorized, `not authorized: call "auth" before "${name}"`);
    }
    if (access === 'admin' && connection.role !== 'admin') {
      throw new ApiError(
        ErrorCode.Forbidden,
        `"${name}" needs the admin role; this connection has the user role`,
      );
    }
  }
}
