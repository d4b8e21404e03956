import type { ComponentChildren, JSX, TargetedMouseEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  endedLabel,
  formatFullTime,
  formatSize,
  formatSpeed,
  formatTime,
  incomingFailure,
  isoTime,
  outgoingFailure,
} from '../format.js';
import type { HistoryItem, LocalSend, RoomModel, RoomState, Transfer } from '../model.js';
import { Badge, Card, Empty, FileBadge, Icon, ProgressRow, useBusy, type ConfirmOptions } from './ui.js';
import { Direction, Status } from '../../client/browser.js';

type Confirm = (options: ConfirmOptions) => void;

const PAGE = 30;

function Time({ timestamp }: { timestamp: number }) {
  return (
    <time dateTime={isoTime(timestamp)} title={formatFullTime(timestamp)}>
      {formatTime(timestamp)}
    </time>
  );
}

function Who({ name, id }: { name?: string; id?: string }) {
  if (!name && !id) return null;
  return (
    <span class="who" title={id}>
      {name || id}
    </span>
  );
}

/** One file in a list: its badge, name and status, a line of facts, then progress or reason, then actions. */
function ItemFrame({
  itemClass,
  requestId,
  fileName,
  badge,
  meta,
  detail,
  actions,
}: {
  itemClass: string;
  requestId?: string;
  fileName: string;
  badge: JSX.Element;
  meta: ComponentChildren;
  detail: JSX.Element | null;
  actions?: JSX.Element | null;
}) {
  return (
    <li class={`item ${itemClass}`} data-request-id={requestId}>
      <FileBadge name={fileName} />
      <div class="item-main">
        <div class="item-title">
          <span class="file-name" title={fileName}>
            {fileName}
          </span>
          {badge}
        </div>
        <div class="item-meta">{meta}</div>
        {detail}
        {actions ? <div class="item-actions">{actions}</div> : null}
      </div>
    </li>
  );
}

/**
 * A link to the file on the room's built-in HTTP server (which names it with Content-Disposition). The href
 * carries a short-lived token; a click fetches a fresh one first.
 */
export function DownloadLink({
  model,
  fileId,
  fileName,
}: {
  model: RoomModel;
  fileId: number;
  fileName: string;
}) {
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      model.fileUrl(fileId).then(
        (url) => live && setHref(url),
        () => undefined,
      );
    void load();
    const timer = setInterval(load, 60_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [model, fileId]);
  const click = async (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    try {
      const url = await model.fileUrl(fileId);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.rel = 'noopener';
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    } catch {
      model.notice('error', `Cannot download ${fileName}: the room did not give a token`);
    }
  };
  return (
    <a
      class="button button-primary button-small"
      href={href ?? '#'}
      onClick={(event) => void click(event)}
      title={`Download ${fileName}`}
    >
      <Icon name="download" size={16} />
      <span>Download</span>
    </a>
  );
}

function DeleteButton({
  model,
  confirm,
  fileId,
  fileName,
}: {
  model: RoomModel;
  confirm: Confirm;
  fileId: number;
  fileName: string;
}) {
  return (
    <button
      type="button"
      class="button button-ghost button-small"
      aria-label={`Delete ${fileName}`}
      title="Delete the file from this room"
      onClick={() =>
        confirm({
          title: 'Delete this file?',
          body: (
            <p>
              <strong>{fileName}</strong> will be deleted from this room, and its entries leave the history.
              This cannot be undone.
            </p>
          ),
          confirm: 'Delete',
          danger: true,
          onConfirm: () => model.deleteFile(fileId, fileName),
        })
      }
    >
      <Icon name="trash" size={16} />
      <span>Delete</span>
    </button>
  );
}

function progressText(t: Transfer): string {
  const parts = [`${t.percent} %`];
  if (t.speed) parts.push(formatSpeed(t.speed));
  const done = t.processed ?? Math.round((t.fileSize * t.percent) / 100);
  parts.push(`${formatSize(done)} of ${formatSize(t.fileSize)}`);
  return parts.join(' · ');
}

function MoreButton({ shown, total, onMore }: { shown: number; total: number; onMore: () => void }) {
  if (total <= shown) return null;
  return (
    <button type="button" class="button button-ghost more" onClick={onMore}>
      Show all {total}
    </button>
  );
}

// --- incoming --------------------------------------------------------------------------------------------

function IncomingItem({
  t,
  model,
  state,
  confirm,
}: {
  t: Transfer;
  model: RoomModel;
  state: RoomState;
  confirm: Confirm;
}) {
  const [busy, run] = useBusy();
  const fileThere = t.fileId !== undefined && state.files[t.fileId];
  let badge: JSX.Element;
  let detail: JSX.Element | null = null;
  let actions: JSX.Element | null = null;
  switch (t.status) {
    case Status.Waiting:
      badge = <Badge tone="accent">New offer</Badge>;
      actions = (
        <>
          <button
            type="button"
            class="button button-primary button-small"
            disabled={busy}
            onClick={() => void run(() => model.accept(t.fileRequestId))}
          >
            <Icon name="check" size={16} />
            <span>Accept</span>
          </button>
          <button
            type="button"
            class="button button-small"
            disabled={busy}
            onClick={() => void run(() => model.reject(t.fileRequestId))}
          >
            <Icon name="x" size={16} />
            <span>Reject</span>
          </button>
        </>
      );
      break;
    case Status.Transferring:
      badge = <Badge tone="accent">Receiving</Badge>;
      detail = <ProgressRow value={t.percent} label={`Receiving ${t.fileName}`} text={progressText(t)} />;
      break;
    case Status.Done:
      badge = <Badge tone="success">Received</Badge>;
      detail = (
        <ProgressRow
          value={100}
          label={`Received ${t.fileName}`}
          tone="success"
          text={`100 % · ${formatSize(t.fileSize)}`}
        />
      );
      actions =
        fileThere && t.fileId !== undefined ? (
          <>
            <DownloadLink model={model} fileId={t.fileId} fileName={t.fileName} />
            <DeleteButton model={model} confirm={confirm} fileId={t.fileId} fileName={t.fileName} />
          </>
        ) : (
          <span class="muted small">The file was deleted from this room</span>
        );
      break;
    default:
      badge = <Badge tone="danger">{endedLabel(t.statusReason)}</Badge>;
      detail = <p class="reason">{incomingFailure(t.statusReason)}</p>;
  }
  return (
    <ItemFrame
      itemClass={`status-${t.status}`}
      requestId={t.fileRequestId}
      fileName={t.fileName}
      badge={badge}
      meta={
        <>
          <span>
            from <Who name={t.peerDn} id={t.peerId} />
            {t.confId
              ? t.confId === state.conference?.confId && state.conference.confTitle
                ? ` in “${state.conference.confTitle}”`
                : ' in a conference'
              : ''}
          </span>
          <span>{formatSize(t.fileSize)}</span>
          <Time timestamp={t.timestamp} />
        </>
      }
      detail={detail}
      actions={actions}
    />
  );
}

export function IncomingCard({
  model,
  state,
  confirm,
}: {
  model: RoomModel;
  state: RoomState;
  confirm: Confirm;
}) {
  const [all, setAll] = useState(false);
  const items = Object.values(state.transfers)
    .filter((t) => t.direction === Direction.Incoming)
    .sort(
      (a, b) =>
        (a.status === Status.Waiting ? 0 : 1) - (b.status === Status.Waiting ? 0 : 1) ||
        b.timestamp - a.timestamp,
    );
  const waiting = items.filter((t) => t.status === Status.Waiting).length;
  const shown = all ? items : items.slice(0, PAGE);
  return (
    <Card id="incoming" title="Incoming" icon="inbox" count={waiting}>
      {items.length === 0 ? (
        <Empty>
          Nothing received yet. Files sent to {state.login.peerId ?? 'this room'} appear here as soon as they
          are offered.
        </Empty>
      ) : (
        <ul class="items" aria-label="Incoming files">
          {shown.map((t) => (
            <IncomingItem key={t.fileRequestId} t={t} model={model} state={state} confirm={confirm} />
          ))}
        </ul>
      )}
      <MoreButton shown={shown.length} total={items.length} onMore={() => setAll(true)} />
    </Card>
  );
}

// --- outgoing --------------------------------------------------------------------------------------------

function targetOf(t: { peerId?: string; peerDn?: string; confId?: string }) {
  if (t.peerId || t.peerDn) return <Who name={t.peerDn} id={t.peerId} />;
  return <span class="who">the conference</span>;
}

function LocalSendItem({ send, model }: { send: LocalSend; model: RoomModel }) {
  const percent = send.fileSize > 0 ? Math.floor((send.sent * 100) / send.fileSize) : 100;
  const to =
    send.to.kind === 'peer' ? (
      <span class="who">{send.to.peerId}</span>
    ) : (
      <span class="who">{send.to.title ? `the conference “${send.to.title}”` : 'the conference'}</span>
    );
  let badge: JSX.Element;
  let detail: JSX.Element;
  switch (send.phase) {
    case 'queued':
      badge = <Badge>Queued</Badge>;
      detail = <p class="muted small">Waiting for the files before it to upload</p>;
      break;
    case 'uploading': {
      const text =
        `Uploading to the room · ${percent} %${send.speed ? ` · ${formatSpeed(send.speed)}` : ''} · ` +
        `${formatSize(send.sent)} of ${formatSize(send.fileSize)}`;
      badge = <Badge tone="accent">Uploading</Badge>;
      detail = <ProgressRow value={percent} label={`Uploading ${send.fileName}`} text={text} />;
      break;
    }
    case 'offering':
      badge = <Badge tone="accent">Offering</Badge>;
      detail = (
        <ProgressRow
          value={100}
          label={`Offering ${send.fileName}`}
          indeterminate
          text={'Uploaded; offering it through the server…'}
        />
      );
      break;
    default:
      badge = <Badge tone="danger">Not sent</Badge>;
      detail = <p class="reason">{send.error}</p>;
  }
  return (
    <ItemFrame
      itemClass={`local-${send.phase}`}
      fileName={send.fileName}
      badge={badge}
      meta={
        <>
          <span>to {to}</span>
          <span>{formatSize(send.fileSize)}</span>
        </>
      }
      detail={detail}
      actions={
        send.phase === 'failed' ? (
          <button type="button" class="button button-small" onClick={() => model.dismissSend(send.id)}>
            Dismiss
          </button>
        ) : null
      }
    />
  );
}

function OutgoingItem({ t }: { t: Transfer }) {
  const peer = t.peerDn || t.peerId;
  let badge: JSX.Element;
  let detail: JSX.Element;
  switch (t.status) {
    case Status.Waiting:
      badge = <Badge tone="warning">Waiting</Badge>;
      detail = <p class="muted small">Uploaded · waiting for {peer ?? 'the recipient'} to accept</p>;
      break;
    case Status.Transferring:
      badge = <Badge tone="accent">Sending</Badge>;
      detail = <ProgressRow value={t.percent} label={`Sending ${t.fileName}`} text={progressText(t)} />;
      break;
    case Status.Done:
      badge = <Badge tone="success">{t.confId && !t.peerId ? 'Sent' : 'Delivered'}</Badge>;
      detail = (
        <ProgressRow
          value={100}
          label={`Sent ${t.fileName}`}
          tone="success"
          text={
            t.confId && !t.peerId
              ? 'On the server: each participant accepts it on their own'
              : `Delivered to ${peer}`
          }
        />
      );
      break;
    default:
      badge = <Badge tone="danger">{endedLabel(t.statusReason)}</Badge>;
      detail = (
        <p class="reason">
          {outgoingFailure(t.statusReason, peer)}
          {t.statusReasonText ? `: ${t.statusReasonText}` : ''}
        </p>
      );
  }
  return (
    <ItemFrame
      itemClass={`status-${t.status}`}
      requestId={t.fileRequestId}
      fileName={t.fileName}
      badge={badge}
      meta={
        <>
          <span>to {targetOf(t)}</span>
          <span>{formatSize(t.fileSize)}</span>
          <Time timestamp={t.timestamp} />
        </>
      }
      detail={detail}
    />
  );
}

export function OutgoingCard({ model, state }: { model: RoomModel; state: RoomState }) {
  const [all, setAll] = useState(false);
  const items = Object.values(state.transfers)
    .filter((t) => t.direction === Direction.Outgoing)
    .sort((a, b) => b.timestamp - a.timestamp);
  const active =
    state.sends.length +
    items.filter((t) => t.status === Status.Waiting || t.status === Status.Transferring).length;
  const shown = all ? items : items.slice(0, PAGE);
  return (
    <Card id="outgoing" title="Outgoing" icon="send" count={active}>
      {items.length === 0 && state.sends.length === 0 ? (
        <Empty>Nothing sent yet.</Empty>
      ) : (
        <ul class="items" aria-label="Outgoing files">
          {state.sends.map((send) => (
            <LocalSendItem key={`local-${send.id}`} send={send} model={model} />
          ))}
          {shown.map((t) => (
            <OutgoingItem key={t.fileRequestId} t={t} />
          ))}
        </ul>
      )}
      <MoreButton shown={shown.length} total={items.length} onMore={() => setAll(true)} />
    </Card>
  );
}

// --- history ---------------------------------------------------------------------------------------------

function HistoryRow({
  h,
  model,
  state,
  confirm,
}: {
  h: HistoryItem;
  model: RoomModel;
  state: RoomState;
  confirm: Confirm;
}) {
  const incoming = h.directionType === Direction.Incoming;
  return (
    <li class="item history-item" data-request-id={h.fileRequestId}>
      <span
        class={`direction ${incoming ? 'direction-in' : 'direction-out'}`}
        title={incoming ? 'Received' : 'Sent'}
      >
        <Icon name={incoming ? 'arrow-down' : 'arrow-up'} size={16} />
      </span>
      <div class="item-main">
        <div class="item-title">
          <span class="file-name" title={h.fileName}>
            {h.fileName}
          </span>
        </div>
        <div class="item-meta">
          <span>
            {incoming ? 'received from ' : 'sent to '}
            {targetOf(h)}
          </span>
          <span>{formatSize(h.fileSize)}</span>
          <Time timestamp={h.timestamp} />
        </div>
      </div>
      <div class="item-actions item-actions-side">
        {state.files[h.fileId] ? (
          <DownloadLink model={model} fileId={h.fileId} fileName={h.fileName} />
        ) : null}
        <DeleteButton model={model} confirm={confirm} fileId={h.fileId} fileName={h.fileName} />
      </div>
    </li>
  );
}

export function HistoryCard({
  model,
  state,
  confirm,
}: {
  model: RoomModel;
  state: RoomState;
  confirm: Confirm;
}) {
  const [all, setAll] = useState(false);
  const items = [...state.history].sort((a, b) => b.timestamp - a.timestamp);
  const shown = all ? items : items.slice(0, PAGE);
  const clear = () =>
    confirm({
      title: 'Clear the history?',
      body: (
        <p>
          Every completed transfer leaves the history of this room. Files in transfers still running are kept.
        </p>
      ),
      confirm: 'Clear history',
      danger: true,
      option: { label: 'Also delete the files from this room' },
      onConfirm: (deleteFiles) => model.clearHistory(deleteFiles),
    });
  return (
    <Card
      id="history"
      title="History"
      icon="history"
      actions={
        <button type="button" class="button button-small" onClick={clear} disabled={items.length === 0}>
          <Icon name="trash" size={16} />
          <span>Clear history…</span>
        </button>
      }
    >
      {items.length === 0 ? (
        <Empty>No completed transfers yet.</Empty>
      ) : (
        <ul class="items" aria-label="History">
          {shown.map((h) => (
            <HistoryRow
              key={`${h.fileRequestId}-${h.fileId}`}
              h={h}
              model={model}
              state={state}
              confirm={confirm}
            />
          ))}
        </ul>
      )}
      <MoreButton shown={shown.length} total={items.length} onMore={() => setAll(true)} />
    </Card>
  );
}
