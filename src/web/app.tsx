import type { JSX, TargetedEvent } from 'preact';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { appStateName, availabilityName } from './format.js';
import type { RoomModel, RoomState } from './model.js';
import type { Session } from './session.js';
import { ConferenceCard, Invitation } from './components/conference.js';
import { SendCard } from './components/send.js';
import { ServerCard } from './components/server.js';
import { HistoryCard, IncomingCard, OutgoingCard } from './components/transfers.js';
import { Avatar, ConfirmDialog, Icon, Logo, type ConfirmOptions, type Tone } from './components/ui.js';
import {
  AppState,
  Availability,
  Direction,
  Privileges,
  ServerConnection,
  Status,
} from '../client/browser.js';

function useSubscription(source: { subscribe(listener: () => void): () => void }): void {
  const [, force] = useReducer((n: number, _action: void) => n + 1, 0);
  useEffect(() => source.subscribe(force), [source]);
}

export function App({ session }: { session: Session }) {
  useSubscription(session);
  const phase = session.phase;
  switch (phase.kind) {
    case 'ready':
      return <Room model={phase.model} session={session} isProtected={phase.isProtected} />;
    case 'signin':
      return (
        <SignIn session={session} error={phase.error} message={phase.message} busy={phase.busy ?? false} />
      );
    case 'unreachable':
      return <Unreachable session={session} error={phase.error} />;
    case 'displaced':
      return (
        <Centered>
          <h1>Another client is using this room</h1>
          <p class="muted">The room allows one client at a time, and another one took over.</p>
          <button type="button" class="button button-primary" onClick={() => void session.takeOver()}>
            Use the room here
          </button>
        </Centered>
      );
    default:
      return (
        <Centered>
          <div class="spinner" aria-hidden="true" />
          <p role="status">Connecting to the room…</p>
        </Centered>
      );
  }
}

function Centered({ children }: { children: JSX.Element | (JSX.Element | null)[] | JSX.Element[] }) {
  return (
    <main class="centered">
      <div class="panel">
        <div class="panel-brand">
          <Logo size={36} />
          <span>roomfiles</span>
        </div>
        {children}
      </div>
    </main>
  );
}

function SignIn({
  session,
  error,
  message,
  busy,
}: {
  session: Session;
  error?: string;
  message?: string;
  busy: boolean;
}) {
  const [secret, setSecret] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (busy) return;
    input.current?.focus();
    // After a wrong PIN the field keeps it, selected, so typing replaces it.
    if (error) input.current?.select();
  }, [busy, error]);
  const submit = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!secret) return;
    void session.signIn(secret);
  };
  return (
    <Centered>
      <h1>Sign in to this room</h1>
      <p class="muted">This room is protected. Enter its PIN or password.</p>
      {message ? <p class="notice-inline">{message}</p> : null}
      <form class="stack" onSubmit={submit}>
        <label class="field">
          <span class="field-label">PIN or password</span>
          <input
            ref={input}
            type="password"
            name="secret"
            autocomplete="current-password"
            value={secret}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'signin-error' : undefined}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </label>
        {error ? (
          <p class="form-error" id="signin-error" role="alert">
            <Icon name="alert" size={16} /> {error}
          </p>
        ) : null}
        <button type="submit" class="button button-primary button-block" disabled={busy || !secret}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </Centered>
  );
}

function Unreachable({ session, error }: { session: Session; error: string }) {
  return (
    <Centered>
      <h1>Cannot reach the room</h1>
      <p class="form-error" role="alert">
        {error}
      </p>
      <p class="muted">Trying again in a few seconds.</p>
      <button type="button" class="button button-primary" onClick={() => void session.start()}>
        Try again now
      </button>
    </Centered>
  );
}

/** The tone a chip shows for a code of the Room API: the one given for it, else `otherwise`. */
function toneOf(code: number, tones: Partial<Record<number, Tone>>, otherwise: Tone = 'neutral'): Tone {
  return tones[code] ?? otherwise;
}

function StatusChip({ tone, label, value }: { tone: string; label: string; value: string }) {
  return (
    <div class={`chip-status chip-${tone}`}>
      <span class="dot" aria-hidden="true" />
      <span class="chip-label">{label}</span>
      <span class="chip-value">{value}</span>
    </div>
  );
}

function Header({
  state,
  session,
  isProtected,
}: {
  state: RoomState;
  session: Session;
  isProtected: boolean;
}) {
  const login = state.login;
  const server = state.server;
  const serverTone = toneOf(server.state, {
    [ServerConnection.Connected]: 'success',
    [ServerConnection.Connecting]: 'warning',
  });
  const serverValue = server.server
    ? `${server.server}:${server.port ?? 4307}${server.state === ServerConnection.Connected ? '' : server.state === ServerConnection.Connecting ? ' (connecting)' : ' (disconnected)'}`
    : 'none';
  const availabilityTone = toneOf(
    state.availability,
    { [Availability.Available]: 'success', [Availability.Forbidden]: 'danger' },
    'warning',
  );
  return (
    <header class="topbar">
      <div class="topbar-row">
        <div class="brand">
          <Logo />
          <span class="brand-name">roomfiles</span>
        </div>
        <div class="identity" aria-label="This room is logged in as">
          {login.isLoggedIn ? (
            <>
              <Avatar name={login.peerDn || login.peerId || '?'} />
              <div class="identity-text">
                <span class="identity-name">{login.peerDn || login.peerId}</span>
                <span class="identity-id">{login.peerId}</span>
              </div>
            </>
          ) : (
            <span class="identity-none">Not logged in</span>
          )}
        </div>
        {isProtected ? (
          <button type="button" class="button button-ghost button-small" onClick={() => session.signOut()}>
            <Icon name="logout" size={16} />
            <span>Sign out</span>
          </button>
        ) : null}
      </div>
      <div class="status-strip" role="status" aria-label="Room status">
        <StatusChip tone={serverTone} label="Server" value={serverValue} />
        <StatusChip
          tone={availabilityTone}
          label="File transfer"
          value={availabilityName(state.availability)}
        />
        <StatusChip
          tone={
            state.appState === AppState.InConference
              ? 'accent'
              : state.appState === AppState.LoggedIn
                ? 'success'
                : 'neutral'
          }
          label="State"
          value={
            state.conference && state.appState === AppState.InConference
              ? `In “${state.conference.confTitle}”`
              : appStateName(state.appState)
          }
        />
        {state.privileges === Privileges.user ? (
          <StatusChip tone="neutral" label="Role" value="User" />
        ) : null}
      </div>
    </header>
  );
}

function Notices({ model, state }: { model: RoomModel; state: RoomState }) {
  return (
    <div class="notices" aria-live="polite" aria-relevant="additions">
      {state.notices.map((notice) => (
        <div
          class={`notice notice-${notice.kind}`}
          key={notice.id}
          role={notice.kind === 'error' ? 'alert' : undefined}
        >
          <Icon
            name={notice.kind === 'error' ? 'alert' : notice.kind === 'success' ? 'check' : 'info'}
            size={18}
          />
          <span>{notice.text}</span>
          <button
            type="button"
            class="icon-button"
            aria-label="Dismiss"
            onClick={() => model.dismiss(notice.id)}
          >
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

function Room({ model, session, isProtected }: { model: RoomModel; session: Session; isProtected: boolean }) {
  useSubscription(model);
  const state = model.state;
  const [dialog, setDialog] = useState<ConfirmOptions | null>(null);

  const waiting = Object.values(state.transfers).filter(
    (t) => t.direction === Direction.Incoming && t.status === Status.Waiting,
  ).length;
  useEffect(() => {
    const who = state.login.peerDn || state.login.peerId;
    document.title = `${waiting > 0 ? `(${waiting}) ` : ''}${who ? `${who} · ` : ''}roomfiles`;
  }, [waiting, state.login.peerDn, state.login.peerId]);

  return (
    <div class="app">
      <a class="skip-link" href="#incoming">
        Skip to incoming files
      </a>
      <Header state={state} session={session} isProtected={isProtected} />
      {state.connection === 'reconnecting' ? (
        <div class="banner" role="alert">
          <div class="spinner spinner-small" aria-hidden="true" /> The connection to the room was lost.
          Reconnecting…
        </div>
      ) : null}
      {state.invite && !state.conference ? (
        <div class="invite-banner">
          <Invitation model={model} state={state} />
        </div>
      ) : null}
      <main class="layout" aria-busy={!state.loaded}>
        <div class="column column-side">
          <SendCard model={model} state={state} />
          <ConferenceCard model={model} state={state} />
          <ServerCard model={model} state={state} />
        </div>
        <div class="column column-main">
          <IncomingCard model={model} state={state} confirm={setDialog} />
          <OutgoingCard model={model} state={state} />
          <HistoryCard model={model} state={state} confirm={setDialog} />
        </div>
      </main>
      <footer class="footer muted small">
        roomfiles · web interface of this room · everything goes through its Room API and built-in HTTP server
      </footer>
      <Notices model={model} state={state} />
      {dialog ? <ConfirmDialog options={dialog} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
