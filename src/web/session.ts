import { RoomApiError, RoomClient, type BrowserRoomClient } from '../client/browser.js';
import { RoomModel } from './model.js';
import { savedToken, saveToken } from './storage.js';

/**
 * The page's life with its room: connect (unsecured first, or with this tab's saved token), ask for the PIN or
 * password when the room answers 401, reconnect when the link drops, and sign out.
 */

export type Phase =
  | { kind: 'connecting' }
  | { kind: 'signin'; error?: string; message?: string; busy?: boolean }
  | { kind: 'unreachable'; error: string }
  | { kind: 'displaced' }
  | { kind: 'ready'; model: RoomModel; isProtected: boolean };

/** The sign-in errors a person can act on, in words. */
export function signInError(error: unknown): string {
  if (error instanceof RoomApiError) {
    if (error.errorCode === 401) return 'Wrong PIN or password. Check it and try again.';
    if (error.errorCode === 429)
      return 'Too many wrong attempts from this computer. Wait a minute, then try again.';
    return error.error;
  }
  return `Cannot reach the room: ${error instanceof Error ? error.message : String(error)}`;
}

function isRefusal(error: unknown): boolean {
  return error instanceof RoomApiError && (error.errorCode === 401 || error.errorCode === 429);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Session {
  phase: Phase = { kind: 'connecting' };
  private readonly listeners = new Set<() => void>();
  private client: BrowserRoomClient | null = null;
  private model: RoomModel | null = null;
  /** The PIN or password typed on this page load (never stored): lets a reconnect authorize again. */
  private secret: string | undefined;
  private isProtected = false;
  private reconnecting = false;
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    for (const listener of this.listeners) listener();
  }

  /** Connects with what the page has: the typed secret, this tab's token, or nothing (an unprotected room). */
  private async connect(): Promise<BrowserRoomClient> {
    const base = { url: window.location.origin, reconnect: false };
    if (this.secret !== undefined) {
      const client = await RoomClient.connect({ ...base, pin: this.secret });
      saveToken(client.token);
      this.isProtected = true;
      return client;
    }
    const token = savedToken();
    if (token) {
      try {
        const client = await RoomClient.connect({ ...base, token });
        this.isProtected = true;
        return client;
      } catch (error) {
        if (!(error instanceof RoomApiError) || error.errorCode === 429) throw error;
        saveToken(null);
      }
    }
    const client = await RoomClient.connect(base);
    this.isProtected = false;
    return client;
  }

  /** First contact: the room decides whether a PIN or password is needed. */
  async start(): Promise<void> {
    clearTimeout(this.retryTimer);
    // While the room cannot be reached the page keeps saying so between attempts.
    if (this.phase.kind !== 'unreachable') this.setPhase({ kind: 'connecting' });
    try {
      await this.adopt(await this.connect());
    } catch (error) {
      if (isRefusal(error)) {
        const cause = error as RoomApiError;
        this.setPhase({ kind: 'signin', error: cause.errorCode === 429 ? signInError(error) : undefined });
      } else {
        this.setPhase({ kind: 'unreachable', error: signInError(error) });
        // The room may be starting: try again by itself.
        this.retryTimer = setTimeout(() => void this.start(), 5000);
      }
    }
  }

  async signIn(secret: string): Promise<void> {
    this.setPhase({ kind: 'signin', busy: true });
    this.secret = secret;
    try {
      await this.adopt(await this.connect());
    } catch (error) {
      this.secret = undefined;
      this.setPhase({ kind: 'signin', error: signInError(error) });
    }
  }

  signOut(): void {
    saveToken(null);
    this.secret = undefined;
    this.drop();
    this.setPhase({ kind: 'signin', message: 'You signed out.' });
  }

  /** After another client took this room's role: take it back on request. */
  async takeOver(): Promise<void> {
    await this.start();
  }

  private drop(): void {
    this.generation += 1;
    const client = this.client;
    this.client = null;
    client?.close();
    this.model?.close();
    this.model = null;
  }

  private async adopt(client: BrowserRoomClient): Promise<void> {
    const generation = ++this.generation;
    this.client = client;
    client.onConnectionState((state) => {
      if (state === 'closed' && this.client === client && this.generation === generation)
        void this.reconnect();
    });
    client.on('authorizationNeeded', (event) => {
      if (this.client !== client) return;
      if (event.cause === 1) {
        // Another client took this room's role (--single-client): do not fight over it.
        this.drop();
        this.setPhase({ kind: 'displaced' });
      } else if (event.cause !== 8) {
        // Credentials changed: this connection is no longer authorized; start again.
        client.close();
      }
    });
    try {
      if (this.model) {
        await this.model.attach(client);
        return;
      }
      const model = new RoomModel(client);
      await model.attach(client);
      this.model = model;
      this.setPhase({ kind: 'ready', model, isProtected: this.isProtected });
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** The link dropped: keep the page as it is, marked stale, and connect again with backoff. */
  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const generation = this.generation;
    this.client = null;
    this.model?.setConnection('reconnecting');
    let delay = 1000;
    try {
      for (;;) {
        await sleep(delay);
        if (generation !== this.generation) return;
        try {
          await this.adopt(await this.connect());
          return;
        } catch (error) {
          if (generation !== this.generation) return;
          if (isRefusal(error)) {
            this.drop();
            this.setPhase({ kind: 'signin', message: 'The room asks you to sign in again.' });
            return;
          }
          delay = Math.min(delay * 2, 10_000);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }
}
