import {
  request as plainRequest,
  type ClientRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../protocol/body-routes.js';
import { readErrorBody } from '../protocol/error-body.js';
import { bodyAgent, hubUrl, type HubTarget } from './hub-target.js';

export class BodyTransferError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

/**
 * A request to the hub's body routes: over HTTPS (verified against the system store plus `ca`) when the URL says
 * so, never downgraded to HTTP.
 */
function httpRequest(
  url: string,
  options: RequestOptions,
  ca: string | undefined,
  onResponse: (response: IncomingMessage) => void,
): ClientRequest {
  const tls = url.startsWith('https:');
  return (tls ? tlsRequest : plainRequest)(url, { ...options, agent: bodyAgent(tls, ca) }, onResponse);
}

async function errorOf(response: IncomingMessage): Promise<BodyTransferError> {
  const status = response.statusCode ?? 0;
  const message = await readErrorBody(response, status);
  const offset = Number(response.headers[UPLOAD_OFFSET_HEADER]);
  return new BodyTransferError(status, message, Number.isFinite(offset) ? offset : undefined);
}

/**
 * The room's client of the hub's body routes (docs/hub-protocol.md, "Bodies"): the offset held, a resumable
 * append, and a ranged download. Streams only: nothing here holds a body in memory.
 */
export class HubBodies {
  constructor(
    private readonly target: () => HubTarget | null,
    private readonly session: () => string | null,
    /** A certificate authority (PEM) trusted for the hub besides the system's (`--ca`). */
    private readonly ca?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.session();
    if (!token) throw new BodyTransferError(0, 'not logged in');
    return { authorization: `Bearer ${token}`, ...extra };
  }

  private options(method: string, signal: AbortSignal, headers: Record<string, string> = {}) {
    return { method, signal, headers: this.headers(headers) };
  }

  private base(): HubTarget {
    const target = this.target();
    if (!target) throw new BodyTransferError(0, 'no server');
    return target;
  }

  /** How many bytes of this send's body the hub holds, and whether it holds it whole. */
  held(sha256: string, sendId: string, signal: AbortSignal): Promise<{ held: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        hubUrl(this.base(), 'http', `${BLOB_PATH}/${sha256}?send=${encodeURIComponent(sendId)}`),
        this.options('HEAD', signal),
        this.ca,
        (response) => {
          response.resume();
          if (response.statusCode !== 204) {
            reject(
              new BodyTransferError(response.statusCode ?? 0, `HEAD failed with ${response.statusCode}`),
            );
            return;
          }
          resolve({
            held: Number(response.headers[UPLOAD_OFFSET_HEADER] ?? 0),
            complete: response.headers['blob-complete'] === '1',
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Appends `body` at `offset`; resolves to the offset the hub holds afterwards. */
  append(
    sha256: string,
    sendId: string,
    offset: number,
    body: Readable,
    signal: AbortSignal,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        hubUrl(this.base(), 'http', `${BLOB_PATH}/${sha256}?send=${encodeURIComponent(sendId)}`),
        this.options('PATCH', signal, {
          'content-type': 'application/offset+octet-stream',
          [UPLOAD_OFFSET_HEADER]: String(offset),
        }),
        this.ca,
        (response) => {
          if (response.statusCode === 204) {
            response.resume();
            resolve(Number(response.headers[UPLOAD_OFFSET_HEADER] ?? offset));
          } else {
            errorOf(response).then(reject, reject);
          }
        },
      );
      req.on('error', reject);
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    });
  }

  /**
   * Where and how to ask for the body of an accepted offer from `offset` on (the stream follows the upload while
   * it is under way): the request is made by the room's receive worker (`receive-worker.ts`), off the thread that
   * answers the Room API.
   */
  downloadRequest(sha256: string, offerId: string, offset: number): BodyRequest {
    const headers = this.headers(offset > 0 ? { range: `bytes=${offset}-` } : {});
    return {
      url: hubUrl(this.base(), 'http', `${BLOB_PATH}/${sha256}?offer=${encodeURIComponent(offerId)}`),
      headers,
      ...(this.ca ? { ca: this.ca } : {}),
    };
  }
}

/** A GET of a body as the receive worker makes it. */
export interface BodyRequest {
  url: string;
  headers: Record<string, string>;
  /** The extra certificate authority the room trusts for its hub (PEM), if any. */
  ca?: string;
}

/** Makes a body GET; resolves to the response once it is 200 or 206, rejects with a BodyTransferError otherwise. */
export function requestBody(body: BodyRequest, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      body.url,
      { method: 'GET', signal, headers: body.headers },
      body.ca,
      (response) => {
        if (response.statusCode === 200 || response.statusCode === 206) resolve(response);
        else errorOf(response).then(reject, reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
