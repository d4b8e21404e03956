import type { TargetedEvent } from 'preact';
import { useState } from 'preact/hooks';
import type { RoomModel, RoomState } from '../model.js';
import { Badge, Card, Icon, useBusy } from './ui.js';
import { ServerConnection } from '../../client/browser.js';

/** Server and account of the room: connect to a server, log in, log out (admin role only). */
export function ServerCard({ model, state }: { model: RoomModel; state: RoomState }) {
  const admin = state.privileges >= 2;
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, run] = useBusy();
  const [portError, setPortError] = useState<string | null>(null);
  const server = state.server;
  const connected = server.state === ServerConnection.Connected;
  const loggedIn = state.login.isLoggedIn;

  const connect = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    let name = host.trim();
    let number: number | undefined = port.trim() ? Number(port.trim()) : undefined;
    // "host:port" typed in the host field works too.
    const match = /^([^:\s]+):(\d+)$/.exec(name);
    if (match && number === undefined) {
      name = match[1];
      number = Number(match[2]);
    }
    if (!name) return;
    if (number !== undefined && (!Number.isInteger(number) || number < 1 || number > 65535)) {
      return setPortError('A port is a number from 1 to 65535.');
    }
    setPortError(null);
    void run(() => model.connectToServer(name, number));
  };

  const submitLogin = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!login.trim()) return;
    void run(async () => {
      if (await model.login(login.trim(), password)) setPassword('');
    });
  };

  const serverText = server.server ? `${server.server}:${server.port ?? 4307}` : 'no server';
  const tone = connected ? 'success' : server.state === ServerConnection.Connecting ? 'warning' : 'neutral';
  const serverState = connected
    ? 'Connected'
    : server.state === ServerConnection.Connecting
      ? 'Connecting'
      : 'Not connected';

  return (
    <Card id="server" title="Server and account" icon="server">
      <dl class="facts">
        <div>
          <dt>Server</dt>
          <dd>
            <span class="mono">{serverText}</span> <Badge tone={tone}>{serverState}</Badge>
          </dd>
        </div>
        {server.domain ? (
          <div>
            <dt>Domain</dt>
            <dd class="mono">{server.domain}</dd>
          </div>
        ) : null}
        <div>
          <dt>Account</dt>
          <dd>
            {loggedIn ? (
              <>
                {state.login.peerDn} <span class="muted mono">{state.login.peerId}</span>
              </>
            ) : (
              <span class="muted">Not logged in</span>
            )}
          </dd>
        </div>
      </dl>

      {!admin ? (
        <p class="muted small">Connecting to a server and logging in need the room’s admin role.</p>
      ) : (
        <>
          {loggedIn ? (
            <div class="button-row">
              <button
                type="button"
                class="button"
                disabled={busy}
                onClick={() => void run(() => model.logout())}
              >
                <Icon name="logout" size={16} />
                <span>Log out</span>
              </button>
            </div>
          ) : connected ? (
            <form class="stack" onSubmit={submitLogin} aria-label="Log in">
              <h3 class="subheading">Log in</h3>
              <label class="field">
                <span class="field-label">TrueConf ID</span>
                <input
                  type="text"
                  value={login}
                  autocomplete="username"
                  spellcheck={false}
                  placeholder={server.domain ? `name@${server.domain}` : 'name@domain'}
                  onInput={(e) => setLogin(e.currentTarget.value)}
                />
              </label>
              <label class="field">
                <span class="field-label">Password</span>
                <input
                  type="password"
                  value={password}
                  autocomplete="current-password"
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              </label>
              {state.loginOutcome && !state.loginOutcome.ok ? (
                <p class="form-error" role="alert">
                  {state.loginOutcome.text}
                </p>
              ) : null}
              <button type="submit" class="button button-primary" disabled={busy || !login.trim()}>
                Log in
              </button>
            </form>
          ) : null}

          <details class="disclosure" open={!connected && !server.server}>
            <summary>{connected ? 'Connect to another server' : 'Connect to a server'}</summary>
            <form class="inline-form" onSubmit={connect} aria-label="Connect to a server">
              <label class="field grow">
                <span class="field-label">Server address</span>
                <input
                  type="text"
                  value={host}
                  autocomplete="off"
                  spellcheck={false}
                  placeholder="hub.example.org"
                  onInput={(e) => setHost(e.currentTarget.value)}
                />
              </label>
              <label class="field port">
                <span class="field-label">Port</span>
                <input
                  type="text"
                  inputMode="numeric"
                  value={port}
                  placeholder="4307"
                  onInput={(e) => setPort(e.currentTarget.value)}
                />
              </label>
              <button type="submit" class="button" disabled={busy || !host.trim()}>
                Connect
              </button>
            </form>
            {portError ? (
              <p class="form-error" role="alert">
                {portError}
              </p>
            ) : null}
          </details>
        </>
      )}
    </Card>
  );
}
