import type { MethodName, MethodParams, MethodReply } from '../../protocol/methods.js';
import type { ApiConnection } from '../api-connection.js';
import type { Room } from '../room.js';

export interface CallContext {
  room: Room;
  connection: ApiConnection;
  /**
   * Runs `fn` once the reply has been sent (events a method causes come after its reply); a promise it returns
   * that rejects is logged, never left unhandled.
   */
  afterReply: (fn: AfterReply) => void;
}

export type Handler<M extends MethodName> = (
  context: CallContext,
  params: MethodParams<M>,
) => MethodReply<M> | Promise<MethodReply<M>>;

export type HandlerTable = { [M in MethodName]: Handler<M> };
export type HandlersOf<Ms extends MethodName> = { [M in Ms]: Handler<M> };

/** A step that follows a reply (events it causes, work it starts). */
export type AfterReply = () => void | Promise<void>;
