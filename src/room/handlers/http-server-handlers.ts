import type { httpServerMethods } from '../../protocol/http-server-methods.js';
import type { HandlersOf } from './handler.js';

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

  async startHttpServer({ room, afterReply }) {
    const changed = await room.startHttpServer();
    if (changed) afterReply(() => room.events.emit('httpServerStateChanged', { state: 'running' }));
    return {};
  },

  async stopHttpServer({ room, afterReply }) {
    const changed = await room.stopHttpServer();
    if (changed) afterReply(() => room.events.emit('httpServerStateChanged', { state: 'stopped' }));
    return {};
  },
};
