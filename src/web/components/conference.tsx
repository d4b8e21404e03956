import type { TargetedEvent } from 'preact';
import { useState } from 'preact/hooks';
import { conferenceCallString, peerOfInstance, splitPeers } from '../format.js';
import type { RoomModel, RoomState } from '../model.js';
import { Avatar, Badge, Card, Icon, useBusy } from './ui.js';
import { AppState, ConferenceRole } from '../../client/browser.js';

function InConference({ model, state }: { model: RoomModel; state: RoomState }) {
  const conference = state.conference!;
  const [invitee, setInvitee] = useState('');
  const [busy, run] = useBusy();
  const self = state.login.peerId;
  const owner = conference.owner ? peerOfInstance(conference.owner) : undefined;
  const isOwner = owner !== undefined && owner === self;
  const participants = [...state.participants].sort(
    (a, b) => b.role - a.role || a.peerDn.localeCompare(b.peerDn),
  );
  const invite = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const peers = splitPeers(invitee, model.domain);
    if (peers.length === 0) return;
    void run(async () => {
      for (const peer of peers) await model.inviteToConference(peer);
      setInvitee('');
    });
  };
  return (
    <div class="conference">
      <div class="conference-title">
        <div>
          <p class="conference-name">{conference.confTitle || 'Untitled conference'}</p>
          <p class="muted small mono" title="Conference ID">
            {conference.confId}
          </p>
        </div>
        <Badge tone="success">In conference</Badge>
      </div>
      <h3 class="subheading">
        Participants <span class="count">{participants.length}</span>
      </h3>
      <ul class="participants" aria-label="Participants">
        {participants.map((p) => {
          const peer = peerOfInstance(p.peerId);
          return (
            <li key={p.peerId}>
              <Avatar name={p.peerDn || peer} size={30} />
              <span class="participant-name">
                <span>{p.peerDn || peer}</span>
                <span class="muted small">{peer}</span>
              </span>
              {peer === self ? <Badge>You</Badge> : null}
              {p.role === ConferenceRole.Owner ? <Badge tone="accent">Owner</Badge> : null}
            </li>
          );
        })}
      </ul>
      {isOwner ? (
        <form class="inline-form" onSubmit={invite}>
          <label class="field grow">
            <span class="field-label">Invite someone</span>
            <input
              type="text"
              value={invitee}
              autocomplete="off"
              spellcheck={false}
              placeholder={model.domain ? `name@${model.domain}` : 'name@domain'}
              onInput={(event) => setInvitee(event.currentTarget.value)}
            />
          </label>
          <button type="submit" class="button" disabled={busy || !invitee.trim()}>
            Invite
          </button>
        </form>
      ) : null}
      <div class="button-row">
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => void run(() => model.leave(false))}
        >
          <Icon name="logout" size={16} />
          <span>Leave</span>
        </button>
        {isOwner ? (
          <button
            type="button"
            class="button button-danger-outline"
            disabled={busy}
            onClick={() => void run(() => model.leave(true))}
          >
            End for everyone
          </button>
        ) : null}
      </div>
    </div>
  );
}

/** An invitation to a conference: shown above everything, so it is not missed on a small screen. */
export function Invitation({ model, state }: { model: RoomModel; state: RoomState }) {
  const invite = state.invite ?? {};
  const [busy, run] = useBusy();
  const from = invite.peerDn || invite.peerId;
  return (
    <div class="callout callout-accent invitation" role="group" aria-label="Invitation">
      <p>
        {from ? (
          <>
            <strong>{from}</strong> invites you to{' '}
          </>
        ) : (
          'You are invited to '
        )}
        {invite.confTitle ? <strong>“{invite.confTitle}”</strong> : 'a conference'}.
      </p>
      <div class="button-row">
        <button
          type="button"
          class="button button-primary"
          disabled={busy}
          onClick={() => void run(() => model.acceptInvite())}
        >
          <Icon name="check" size={16} />
          <span>Accept invitation</span>
        </button>
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => void run(() => model.rejectInvite())}
        >
          <Icon name="x" size={16} />
          <span>Decline</span>
        </button>
      </div>
    </div>
  );
}

function NotInConference({ model, state }: { model: RoomModel; state: RoomState }) {
  const [title, setTitle] = useState('');
  const [invitees, setInvitees] = useState('');
  const [callString, setCallString] = useState('');
  const [busy, run] = useBusy();
  const loggedIn = state.appState === AppState.LoggedIn;
  const create = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    void run(async () => {
      const ok = await model.createConference(
        title.trim() || 'Conference',
        splitPeers(invitees, model.domain),
      );
      if (ok) {
        setTitle('');
        setInvitees('');
      }
    });
  };
  const join = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!callString.trim()) return;
    void run(async () => {
      if (await model.join(conferenceCallString(callString))) setCallString('');
    });
  };
  return (
    <div class="conference-forms">
      {!loggedIn ? <p class="muted small">Log in to a server to create or join a conference.</p> : null}
      <form onSubmit={create} aria-label="Create a conference">
        <h3 class="subheading">Create a conference</h3>
        <label class="field">
          <span class="field-label">Title</span>
          <input
            type="text"
            value={title}
            placeholder="Weekly review"
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="field-label">Invite (TrueConf IDs, separated by commas)</span>
          <input
            type="text"
            value={invitees}
            autocomplete="off"
            spellcheck={false}
            placeholder={model.domain ? `bob@${model.domain}, carol@${model.domain}` : 'bob@domain'}
            onInput={(e) => setInvitees(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="button button-primary" disabled={busy || !loggedIn}>
          Create conference
        </button>
      </form>
      <div class="divider" role="presentation">
        <span>or</span>
      </div>
      <form onSubmit={join} class="inline-form" aria-label="Join a conference">
        <label class="field grow">
          <span class="field-label">Join a conference by its ID</span>
          <input
            type="text"
            value={callString}
            autocomplete="off"
            spellcheck={false}
            placeholder="\c\demo"
            onInput={(e) => setCallString(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="button" disabled={busy || !loggedIn || !callString.trim()}>
          Join
        </button>
      </form>
    </div>
  );
}

export function ConferenceCard({ model, state }: { model: RoomModel; state: RoomState }) {
  return (
    <Card id="conference" title="Conference" icon="users">
      {state.conference ? (
        <InConference model={model} state={state} />
      ) : state.invite ? (
        <p class="muted">You are invited to a conference: answer the invitation at the top of the page.</p>
      ) : (
        <NotInConference model={model} state={state} />
      )}
    </Card>
  );
}
