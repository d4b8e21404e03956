import { LoginResult } from '../protocol/session-methods.js';
import type { Room } from './room.js';

/** The hub refused the room's login for good: the account is gone, its password changed, or it is locked. */
export class RoomLoginError extends Error {
  constructor(
    readonly room: string,
    /** The `login` event's result: 2 no such account, 3 wrong password, 10 locked. */
    readonly result: number,
  ) {
    super(`room ${room} could not log in to the hub (${loginRefusal(result)})`);
    this.name = 'RoomLoginError';
  }
}

/** The refusals that retrying cannot cure (7, busy or unreachable, is retried by the room itself). */
const FINAL_REFUSALS: number[] = [LoginResult.NotFound, LoginResult.WrongPassword, LoginResult.Locked];

function loginRefusal(result: number): string {
  if (result === LoginResult.WrongPassword) return 'wrong password';
  if (result === LoginResult.Locked) return 'account locked';
  return 'no such account';
}

/**
 * Resolves when the room is logged in to its hub; rejects with a RoomLoginError at once when the hub refuses the
 * login for good, and with a plain Error after `timeoutMs` (the hub may be unreachable: the room keeps trying).
 */
export function waitForLogin(room: Room, timeoutMs = 15_000): Promise<void> {
  if (room.session.identity) return Promise.resolve();
  return new Promise((resolveLogin, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      room.session.off('loggedIn', onLoggedIn);
      offEvents();
      if (error) reject(error);
      else resolveLogin();
    };
    const timer = setTimeout(
      () => done(new Error(`room ${room.name} did not log in within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onLoggedIn = () => done();
    room.session.on('loggedIn', onLoggedIn);
    const offEvents = room.events.onEvent((message) => {
      if (message.event !== 'login' || !FINAL_REFUSALS.includes(message.result as number)) return;
      done(new RoomLoginError(room.name, message.result as number));
    });
  });
}
