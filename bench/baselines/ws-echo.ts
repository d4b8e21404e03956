import { WebSocketServer } from 'ws';
import { reportListening } from '../lib/children.js';

/**
 * Baseline of the API request-rate row: a bare `ws` server that sends every text message straight back, with
 * the same socket options as the Room API (no compression, a payload limit).
 */
const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
  clientTracking: false,
});
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(isBinary ? data : data.toString()));
});
server.on('listening', () => reportListening(server.address()));
