import type { ComponentChildren, TargetedEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Small building blocks: icons, progress bar, badges, cards, the confirm dialog. */

type IconName =
  | 'upload'
  | 'download'
  | 'file'
  | 'send'
  | 'inbox'
  | 'history'
  | 'users'
  | 'server'
  | 'check'
  | 'x'
  | 'trash'
  | 'arrow-down'
  | 'arrow-up'
  | 'logout'
  | 'alert'
  | 'info';

const PATHS: Record<IconName, string> = {
  upload: 'M12 16V4m0 0l-5 5m5-5l5 5M4 16v2a2 2 0 002 2h12a2 2 0 002-2v-2',
  download: 'M12 4v12m0 0l-5-5m5 5l5-5M4 18v0a2 2 0 002 2h12a2 2 0 002-2',
  file: 'M14 3H7a2 2 0 00-2 2v14a2 2 0 002 2h10a2 2 0 002-2V8l-5-5zm0 0v5h5',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  inbox: 'M4 13h4l2 3h4l2-3h4M4 13l2.5-7h11l2.5 7M4 13v5a2 2 0 002 2h12a2 2 0 002-2v-5',
  history: 'M3 12a9 9 0 109-9 9 9 0 00-6.4 2.6L3 8m0-5v5h5m4-1v5l3 3',
  users:
    'M16 20v-1a4 4 0 00-4-4H6a4 4 0 00-4 4v1m7-9a4 4 0 100-8 4 4 0 000 8zm13 9v-1a4 4 0 00-3-3.9M16 3.1a4 4 0 010 7.8',
  server: 'M4 5h16v5H4zM4 14h16v5H4zM8 7.5h.01M8 16.5h.01',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  x: 'M6 6l12 12M18 6L6 18',
  trash: 'M4 7h16M10 11v6m4-6v6M6 7l1 12a2 2 0 002 2h6a2 2 0 002-2l1-12M9 7V4h6v3',
  'arrow-down': 'M12 5v14m0 0l-6-6m6 6l6-6',
  'arrow-up': 'M12 19V5m0 0l-6 6m6-6l6 6',
  logout: 'M15 4h3a2 2 0 012 2v12a2 2 0 01-2 2h-3M10 16l-4-4 4-4M6 12h10',
  alert: 'M12 9v4m0 4h.01M10.3 3.9L2.4 18a2 2 0 001.7 3h15.8a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z',
  info: 'M12 16v-4m0-4h.01M12 21a9 9 0 100-18 9 9 0 000 18z',
};

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg class="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path
        d="M10 9h8l5 5v9a2 2 0 01-2 2H10a2 2 0 01-2-2V11a2 2 0 012-2z"
        fill="none"
        stroke="#fff"
        stroke-width="2"
        stroke-linejoin="round"
      />
      <path d="M16 13v8m0 0l-3-3m3 3l3-3" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

export type Tone = 'neutral' | 'accent' | 'success' | 'warning' | 'danger';

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** A progress bar with its text beside it; screen readers hear the same text as the bar's value. */
export function ProgressRow({
  value,
  label,
  text,
  tone,
  indeterminate,
}: {
  value: number;
  label: string;
  text: string;
  tone?: Tone;
  indeterminate?: boolean;
}) {
  return (
    <div class="progress-row">
      <ProgressBar value={value} label={label} tone={tone} indeterminate={indeterminate} valueText={text} />
      <span class="progress-text">{text}</span>
    </div>
  );
}

/**
 * A progress bar that screen readers and tests read as one (`role=progressbar`, `aria-valuenow`); `valueText`
 * says more than the percentage (speed, bytes done) as its `aria-valuetext`.
 */
export function ProgressBar({
  value,
  label,
  tone = 'accent',
  indeterminate = false,
  valueText,
}: {
  value: number;
  label: string;
  tone?: Tone;
  indeterminate?: boolean;
  valueText?: string;
}) {
  const percent = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      class={`progress progress-${tone}${indeterminate ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={indeterminate ? undefined : percent}
      aria-valuetext={indeterminate ? undefined : valueText}
    >
      <div class="progress-fill" style={{ width: indeterminate ? '30%' : `${percent}%` }} />
    </div>
  );
}

export function Card({
  id,
  title,
  icon,
  count,
  actions,
  children,
  class: className = '',
}: {
  id: string;
  title: string;
  icon: IconName;
  count?: number;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${className}`} aria-labelledby={`${id}-title`} id={id}>
      <header class="card-header">
        <h2 id={`${id}-title`}>
          <Icon name={icon} />
          <span>{title}</span>
          {count !== undefined && count > 0 ? <span class="count">{count}</span> : null}
        </h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </header>
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Initials in a circle, coloured by the name, for people and participants. */
export function Avatar({ name, size = 32 }: { name: string; size?: number }) {
  const words = name
    .replace(/@.*/, '')
    .split(/[\s._-]+/)
    .filter(Boolean);
  const initials = (
    words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? '?').slice(0, 1)
  ).toUpperCase();
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return (
    <span
      class={`avatar avatar-${hash % 6}`}
      style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` }}
      aria-hidden="true"
    >
      {initials}
    </span>
  );
}

/** A file's type as a small label (PDF, ZIP, …) from its extension. */
export function FileBadge({ name }: { name: string }) {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && dot > name.length - 7 ? name.slice(dot + 1).toUpperCase() : '';
  return (
    <span class="file-badge" aria-hidden="true">
      <Icon name="file" size={22} />
      {ext ? <span class="file-ext">{ext.slice(0, 4)}</span> : null}
    </span>
  );
}

export interface ConfirmOptions {
  title: string;
  body: ComponentChildren;
  confirm: string;
  danger?: boolean;
  /** A checkbox in the dialog (e.g. "also delete the files"); its state is passed to onConfirm. */
  option?: { label: string; initial?: boolean };
  onConfirm: (option: boolean) => void | Promise<unknown>;
}

/** A modal confirm dialog (the browser's own `<dialog>`: focus kept inside, Escape cancels). */
export function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [option, setOption] = useState(options.option?.initial ?? false);
  const [busy, run] = useBusy();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const submit = async (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    try {
      await run(async () => options.onConfirm(option));
    } finally {
      ref.current?.close();
    }
  };
  return (
    <dialog ref={ref} class="dialog" onClose={onClose} aria-labelledby="dialog-title">
      <form onSubmit={(event) => void submit(event)}>
        <h2 id="dialog-title">{options.title}</h2>
        <div class="dialog-body">{options.body}</div>
        {options.option ? (
          <label class="check">
            <input
              type="checkbox"
              checked={option}
              onChange={(event) => setOption(event.currentTarget.checked)}
            />
            <span>{options.option.label}</span>
          </label>
        ) : null}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => ref.current?.close()} autofocus>
            Cancel
          </button>
          <button
            type="submit"
            class={`button ${options.danger ? 'button-danger' : 'button-primary'}`}
            disabled={busy}
          >
            {options.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * A busy flag and a runner that sets it while an action is under way (buttons disable themselves meanwhile).
 * Event handlers start it with `void run(…)`: the model's actions report their own failures as notices and never
 * reject, so nothing waits for them.
 */
export function useBusy(): [boolean, (action: () => Promise<unknown>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  return [
    busy,
    async (action) => {
      setBusy(true);
      try {
        await action();
      } finally {
        setBusy(false);
      }
    },
  ];
}
