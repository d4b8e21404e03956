import type { WebSocket } from 'ws';

export interface Heartbeat {
  /** Pings sent in a row without a pong since. */
  readonly missedPongs: number;
  stop(): void;
}

/**
 * Pings a WebSocket every `intervalMs`; a peer that misses two pongs in a row is dead and `onDead` runs once
 * (room-api.md §1 for the Room API, docs/hub-protocol.md for the link: both ends of both use this).
 * The pings stop with `stop()` or when the socket closes.
 */
export function keepAlive(socket: WebSocket, intervalMs: number, onDead: () => void): Heartbeat {
  let missed = 0;
  const onPong = () => {
    missed = 0;
  };
  const timer = setInterval(() => {
    if (missed >= 2) {
      stop();
      onDead();
      return;
    }
    missed += 1;
    if (socket.readyState === socket.OPEN) socket.ping();
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    socket.off('pong', onPong);
    socket.off('close', stop);
  };
  socket.on('pong', onPong);
  socket.on('close', stop);
  return {
    get missedPongs() {
      return missed;
    },
    stop,
  };
}
