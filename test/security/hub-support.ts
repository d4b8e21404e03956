import { randomBytes, createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import WebSocket from 'ws';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/body-routes.js';

/**
 * What the hub security tests speak to the hub with: a bare link (the protocol by hand, as an attacker would) and
 * the body routes over raw HTTP. Nothing here knows the hub's insides.
 */

export type Reply = Record<string, unknown> & { ok: boolean; code?: string; message?: string };

/** A link to a hub on loopback, spoken by hand. `localAddress` picks the source address (127.x.y.z). */
export class RawLink {
  readonly ws: WebSocket;
  private nextId = 1;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  readonly pushes: Record<string, unknown>[] = [];
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<number>;
  isClosed = false;

  constructor(
    port: number,
    options: {
      localAddress?: string;
      /** `wss`: through a TLS endpoint (a proxy), trusting `ca`. */
      tls?: { ca: string };
      /** Extra request headers of the upgrade (a forged `X-Forwarded-For`, say). */
      headers?: Record<string, string>;
    } = {},
  ) {
    const scheme = options.tls ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://127.0.0.1:${port}${LINK_PATH}`, LINK_SUBPROTOCOL, {
      perMessageDeflate: false,
      localAddress: options.localAddress,
      ...(options.tls ? { ca: options.tls.ca } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Reply & { re?: number; push?: string };
      if (typeof message.re === 'number') this.replies.get(message.re)?.(message);
      else if (typeof message.push === 'string') this.pushes.push(message);
      this.notify();
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code) => {
        this.isClosed = true;
        for (const resolveReply of this.replies.values())
          resolveReply({ ok: false, code: 'closed', message: `link closed (${code})` });
        this.notify();
        resolve(code);
      }),
    );
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Sends a request and resolves with the hub's reply, whatever it says (or a `closed` one if the link ends). */
  call(op: string, args: object = {}): Promise<Reply> {
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve) => this.replies.set(id, resolve));
    if (this.isClosed) return Promise.resolve({ ok: false, code: 'closed' });
    this.ws.send(JSON.stringify({ id, op, ...args }));
    return reply.finally(() => this.replies.delete(id));
  }

  /** `room` names the link at the hub (its sessions show it), so a test can find what the hub made of it. */
  async hello(room = 'probe'): Promise<void> {
    await this.opened();
    const reply = await this.call('hello', {
      room,
      instance: randomBytes(4).toString('hex'),
      software: 'probe',
    });
    if (!reply.ok) throw new Error(`hello failed: ${JSON.stringify(reply)}`);
  }

  /** hello + login; resolves with the login reply (not asserted). */
  async login(login: string, password: string): Promise<Reply> {
    await this.hello();
    return this.call('login', { login, password });
  }

  pushesNamed(name: string): Record<string, unknown>[] {
    return this.pushes.filter((push) => push.push === name);
  }

  until(what: string, ready: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`raw link: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export const sha256Of = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** Creates a send by hand on a logged-in link; resolves with the reply. */
export function offer(
  link: RawLink,
  fields: { to?: string; conference?: boolean; body?: Buffer; sha256?: string; fileSize?: number },
): Promise<Reply> {
  return link.call('offer.create', {
    sendId: randomUUID(),
    ...(fields.to ? { to: fields.to } : {}),
    ...(fields.conference ? { conference: true } : {}),
    fileName: 'probe.bin',
    fileSize: fields.fileSize ?? fields.body!.length,
    sha256: fields.sha256 ?? sha256Of(fields.body!),
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request to the hub with a body (or none); resolves with the whole answer. */
export function hubRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Uploads a whole body for a send by PATCH at offset 0. */
export function patchBody(port: number, token: string, sendId: string, sha: string, body: Buffer) {
  return hubRequest(
    port,
    'PATCH',
    `${BLOB_PATH}/${sha}?send=${sendId}`,
    {
      authorization: `Bearer ${token}`,
      'content-type': 'application/offset+octet-stream',
      [UPLOAD_OFFSET_HEADER]: '0',
    },
    body,
  );
}

/** A body GET as a recipient's room makes it: the bytes that came, and whether the stream ended whole. */
export function download(
  port: number,
  token: string,
  sha: string,
  offerId: string,
): Promise<{ status: number; bytes: Buffer; whole: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: `${BLOB_PATH}/${sha}?offer=${offerId}`,
        headers: { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let settled = false;
        const settle = (whole: boolean) => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks), whole });
        };
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle(res.complete));
        res.on('aborted', () => settle(false));
        res.on('error', () => settle(false));
        res.on('close', () => settle(res.complete));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Logs a raw link in and returns its bearer token for the body routes. */
export async function loginToken(link: RawLink, name: string, password = `pw-${name}`): Promise<string> {
  const reply = await link.login(name, password);
  if (!reply.ok) throw new Error(`login of ${name} failed: ${JSON.stringify(reply)}`);
  return reply.session as string;
}
