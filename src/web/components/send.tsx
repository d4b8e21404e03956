import type { TargetedDragEvent, TargetedEvent } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { availabilityText, formatSize, normalizePeer } from '../format.js';
import type { RoomModel, RoomState } from '../model.js';
import { Card, FileBadge, Icon } from './ui.js';
import { Availability } from '../../client/browser.js';

/** Pick or drop files, choose a person or the current conference, send. */
export function SendCard({ model, state }: { model: RoomModel; state: RoomState }) {
  const [files, setFiles] = useState<File[]>([]);
  const [target, setTarget] = useState<'peer' | 'conference'>('peer');
  const [peer, setPeer] = useState('');
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const depth = useRef(0);

  const inConference = state.conference !== null;
  const toConference = target === 'conference' && inConference;
  const available = state.availability === Availability.Available;
  const self = state.login.peerId;

  const add = (list: FileList | null | undefined) => {
    if (!list || list.length === 0) return;
    const added = [...list];
    setFiles((current) => {
      const key = (f: File) => `${f.name}\u0000${f.size}\u0000${f.lastModified}`;
      const seen = new Set(current.map(key));
      return [...current, ...added.filter((f) => !seen.has(key(f)))];
    });
    setError(null);
  };

  const onDrop = (event: TargetedDragEvent<HTMLDivElement>) => {
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    add(event.dataTransfer?.files);
  };
  const onDragEnter = (event: TargetedDragEvent<HTMLDivElement>) => {
    event.preventDefault();
    depth.current += 1;
    setDragging(true);
  };
  const onDragLeave = () => {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  };
  const onDragOver = (event: TargetedDragEvent<HTMLDivElement>) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  };

  const submit = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (files.length === 0) return setError('Choose one or more files first.');
    if (!available)
      return setError(`File transfer is not available: ${availabilityText(state.availability)}.`);
    if (toConference) {
      model.send(files, { kind: 'conference', title: state.conference?.confTitle ?? '' });
    } else {
      const peerId = normalizePeer(peer, model.domain);
      if (!peerId) return setError('Type the TrueConf ID of the person to send to.');
      if (peerId.includes('/')) return setError('Type a TrueConf ID (name@domain), not a room instance.');
      if (peerId === self) return setError('That is this room’s own account: choose someone else.');
      model.send(files, { kind: 'peer', peerId });
    }
    setFiles([]);
    setError(null);
    if (input.current) input.current.value = '';
  };

  const total = files.reduce((sum, f) => sum + f.size, 0);
  const recent = state.recentPeers.filter((p) => p !== self);

  return (
    <Card id="send" title="Send files" icon="upload">
      <form onSubmit={submit} class="send-form" noValidate>
        <div
          class={`dropzone${dragging ? ' dropzone-active' : ''}`}
          onDrop={onDrop}
          onDragEnter={onDragEnter}
          onDragLeave={onDragLeave}
          onDragOver={onDragOver}
          data-testid="dropzone"
        >
          <Icon name="upload" size={28} />
          <p class="dropzone-text">
            <strong>Drag files here</strong>
            <span class="muted"> or </span>
          </p>
          <button type="button" class="button" onClick={() => input.current?.click()}>
            Choose files…
          </button>
          <input
            ref={input}
            id="file-input"
            type="file"
            multiple
            hidden
            aria-label="Files to send"
            onChange={(event) => add(event.currentTarget.files)}
          />
        </div>

        {files.length > 0 ? (
          <ul class="picked" aria-label="Files to send">
            {files.map((file, index) => (
              <li key={`${file.name}-${index}`}>
                <FileBadge name={file.name} />
                <span class="file-name" title={file.name}>
                  {file.name}
                </span>
                <span class="muted small">{formatSize(file.size)}</span>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Remove ${file.name}`}
                  onClick={() => setFiles((current) => current.filter((_, i) => i !== index))}
                >
                  <Icon name="x" size={16} />
                </button>
              </li>
            ))}
          </ul>
        ) : null}

        <fieldset class="target">
          <legend>Send to</legend>
          <div class="segmented">
            <label class={target === 'peer' || !inConference ? 'selected' : ''}>
              <input
                type="radio"
                name="target"
                value="peer"
                checked={!toConference}
                onChange={() => setTarget('peer')}
              />
              <span>A person</span>
            </label>
            {/* Why the option is off is told on the option itself: under the person field it read as advice
                about sending to that person. */}
            <label
              class={`${toConference ? 'selected' : ''}${inConference ? '' : ' disabled'}`}
              title={inConference ? undefined : 'Join or create a conference first (Conference card)'}
            >
              <input
                type="radio"
                name="target"
                value="conference"
                checked={toConference}
                disabled={!inConference}
                onChange={() => setTarget('conference')}
              />
              <span>The conference</span>
            </label>
          </div>
          {toConference ? (
            <p class="muted small">
              Everyone in “{state.conference?.confTitle}” gets the offer and accepts it on their own.
            </p>
          ) : (
            <>
              <label class="field">
                <span class="field-label">TrueConf ID</span>
                <input
                  type="text"
                  name="peer"
                  value={peer}
                  list="recent-peers"
                  autocomplete="off"
                  spellcheck={false}
                  placeholder={model.domain ? `name@${model.domain}` : 'name@domain'}
                  onInput={(event) => setPeer(event.currentTarget.value)}
                />
              </label>
              <datalist id="recent-peers">
                {recent.map((p) => (
                  <option key={p} value={p} />
                ))}
              </datalist>
              {recent.length > 0 ? (
                <div class="recent" role="group" aria-label="Recent peers">
                  <span class="muted small">Recent:</span>
                  {recent.map((p) => (
                    <span class="chip" key={p}>
                      <button
                        type="button"
                        class="chip-main"
                        onClick={() => setPeer(p)}
                        title={`Send to ${p}`}
                      >
                        {p}
                      </button>
                      <button
                        type="button"
                        class="chip-remove"
                        aria-label={`Forget ${p}`}
                        onClick={() => model.forgetRecentPeer(p)}
                      >
                        <Icon name="x" size={12} />
                      </button>
                    </span>
                  ))}
                </div>
              ) : null}
            </>
          )}
        </fieldset>

        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : null}
        {!available ? (
          <p class="hint-warning">
            <Icon name="alert" size={16} /> File transfer is not available:{' '}
            {availabilityText(state.availability)}.
          </p>
        ) : null}

        <button type="submit" class="button button-primary button-block" disabled={!available}>
          <Icon name="send" size={16} />
          <span>
            {files.length > 1 ? `Send ${files.length} files` : 'Send'}
            {files.length > 0 ? ` (${formatSize(total)})` : ''}
          </span>
        </button>
      </form>
    </Card>
  );
}
