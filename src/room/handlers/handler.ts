import type { MethodName, MethodParams, MethodReply } from '../../protocol/methods.js';
import type { ApiConnection } from '../api-connection.js';
import type { Room } from '../room.js';

export interface CallContext {
  room: Room;
  connection: ApiConnection;
  /** Runs once the reply has been sent: events a method causes come after its reply. */
  afterReply: (fn: () => void) => void;
}

export type Handler<M extends MethodName> = (
  context: CallContext,
  params: MethodParams<M>,
) => MethodReply<M> | Promise<MethodReply<M>>;

export type HandlerTable = { [M in MethodName]: Handler<M> };
export type HandlersOf<Ms extends MethodName> = { [M in Ms]: Handler<M> };
