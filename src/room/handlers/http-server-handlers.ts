import type { httpServerMethods } from '../../protocol/http-server-methods.js';
import type { HandlersOf } from './handler.js';
import type { Room } from '../room.js';

export const httpServerHandlers: HandlersOf<keyof typeof httpServerMethods> = {
  getHttpServerSettings({ room }) {
    return { settings: room.httpSettings.list() };
  },

  setHttpServerSettings({ room, afterReply }, params) {
    const changes = room.httpSettings.update(params.settings, room.httpServerRunning);
    afterReply(() => {
      for (const change of changes) room.events.emit('httpServerSettingChanged', change);
    });
    return {};
  },

  getHttpServerState({ room }) {
    return { state: room.httpServerRunning ? 'running' : 'stopped' };
  },

  // §7: "result:true, then httpServerStateChanged", also when the server already was in that state, so a client
  // that waits for the event after its call is never left waiting. The event says the state as it is.
  async startHttpServer({ room, afterReply }) {
    await room.startHttpServer();
    afterReply(() => announceHttpServerState(room));
    return {};
  },

  async stopHttpServer({ room, afterReply }) {
    await room.stopHttpServer();
    afterReply(() => announceHttpServerState(room));
    return {};
  },
};

function announceHttpServerState(room: Room): void {
  room.events.emit('httpServerStateChanged', { state: room.httpServerRunning ? 'running' : 'stopped' });
}
