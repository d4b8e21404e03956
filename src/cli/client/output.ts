import type { MultiBar, SingleBar } from 'cli-progress';
import { formatDuration, formatSize, formatSpeed, oneLine } from './format.js';

/**
 * Where client commands print. Results go to stdout: text lines, or JSON (one document, or one object per
 * line). Progress and notes go to stderr, so that `roomfiles … > out` keeps only results. Nothing here writes
 * ANSI codes or carriage returns unless stderr is a terminal and bars are drawn.
 */
export class Printer {
  constructor(readonly json: boolean) {}

  /** A result line (text mode only). */
  line(text: string): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** A block of text (a table), printed as it is (text mode only). */
  block(text: string): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** One JSON object on its own line (JSON mode only): the stream form of `send` and `watch`. */
  record(value: object): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** One JSON document (JSON mode only): lists and single results. */
  document(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for the person at the terminal (stderr), in both modes. */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }
}

/** One task on the progress board: a file being uploaded, then transferred, or downloaded. */
export interface ProgressTask {
  /** Starts a phase that moves `total` bytes ("upload to the room", "to bob@files.local"). */
  phase(name: string, total: number): void;
  /** Bytes moved so far in this phase; `speed` in bytes per second when the room reports it. */
  update(bytes: number, speed?: number): void;
  /** A state without progress ("waiting for bob@files.local to accept"). */
  state(text: string): void;
  /** The end of the task: its last state stays on screen. */
  finish(text: string): void;
}

export interface ProgressBoard {
  task(label: string): ProgressTask;
  /** A line that must not tear the bars apart (a failure of one file while others go on). */
  note(text: string): void;
  /** Stops drawing; the cursor comes back. */
  stop(): void;
}

/** How progress is shown: bars on a terminal, a few plain lines otherwise, nothing for --json or --quiet. */
export async function progressBoard(options: { json?: boolean; quiet?: boolean }): Promise<ProgressBoard> {
  if (options.json || options.quiet) return new SilentBoard();
  if (process.stderr.isTTY) {
    const { MultiBar } = await import('cli-progress');
    return new BarBoard(MultiBar, process.stderr);
  }
  return new PlainBoard((line) => process.stderr.write(`${line}\n`));
}

class SilentBoard implements ProgressBoard {
  task(): ProgressTask {
    return { phase() {}, update() {}, state() {}, finish() {} };
  }
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }
  stop(): void {}
}

/** Measures a rate over the last few seconds, for phases where the room does not report one. */
class RateMeter {
  private samples: { at: number; bytes: number }[] = [];

  add(bytes: number, at = Date.now()): number {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0].at > 3000) this.samples.shift();
    const first = this.samples[0];
    const elapsed = (at - first.at) / 1000;
    return elapsed > 0.2 ? (bytes - first.bytes) / elapsed : 0;
  }

  reset(): void {
    this.samples = [];
  }
}

/**
 * Not a terminal: one line when a phase starts, one at each quarter, one when the state changes — a log a
 * person can read afterwards, not one line per progress event.
 */
export class PlainBoard implements ProgressBoard {
  constructor(private readonly write: (line: string) => void) {}

  task(label: string): ProgressTask {
    const write = this.write;
    const name = oneLine(label);
    let phase = '';
    let total = 0;
    let quarter = 0;
    let lastState = '';
    const meter = new RateMeter();
    return {
      phase(phaseName, phaseTotal) {
        phase = phaseName;
        total = phaseTotal;
        quarter = 0;
        lastState = '';
        meter.reset();
        write(`${name}: ${phase} (${formatSize(total)})`);
      },
      update(bytes, speed) {
        const measured = meter.add(bytes);
        const percent = total > 0 ? Math.floor((bytes * 100) / total) : 100;
        const reached = Math.min(4, Math.floor(percent / 25));
        if (reached <= quarter) return;
        quarter = reached;
        const rate = speed ?? measured;
        write(
          `${name}: ${phase} ${Math.min(100, percent)}% (${formatSize(bytes)} of ${formatSize(total)}` +
            `${rate > 0 ? `, ${formatSpeed(rate)}` : ''})`,
        );
      },
      state(text) {
        if (text === lastState) return;
        lastState = text;
        write(`${name}: ${text}`);
      },
      finish(text) {
        write(`${name}: ${text}`);
      },
    };
  }

  note(text: string): void {
    this.write(text);
  }

  stop(): void {}
}

interface BarPayload {
  label: string;
  phase: string;
  state: string;
  speed: number;
  waiting: boolean;
}

const BAR_WIDTH = 24;

/** One line of a bar: label, bar, percent, bytes, speed and ETA — or the label and a state while it waits. */
export function renderBar(value: number, total: number, payload: BarPayload): string {
  const label = oneLine(payload.label);
  if (payload.waiting) return `${label}  ${payload.state}`;
  const ratio = total > 0 ? Math.min(1, value / total) : 1;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const speed = payload.speed > 0 ? formatSpeed(payload.speed) : '-';
  const eta =
    payload.speed > 0 && value < total ? formatDuration(((total - value) / payload.speed) * 1000) : '-';
  return (
    `${label}  ${payload.phase} ${bar} ${String(Math.floor(ratio * 100)).padStart(3)}%  ` +
    `${formatSize(value)} of ${formatSize(total)}  ${speed}  ETA ${eta}`
  );
}

/** A terminal: one cli-progress bar per task, redrawn in place. */
class BarBoard implements ProgressBoard {
  private readonly multi: MultiBar;

  constructor(MultiBarClass: typeof MultiBar, stream: NodeJS.WriteStream) {
    this.multi = new MultiBarClass({
      stream,
      format: (_options, params, payload) => renderBar(params.value, params.total, payload as BarPayload),
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // Ctrl-C is the command's to handle (it stops the board); cli-progress's own handler would swallow it.
      gracefulExit: false,
      linewrap: false,
      fps: 10,
    });
  }

  task(label: string): ProgressTask {
    const payload: BarPayload = { label, phase: '', state: 'starting', speed: 0, waiting: true };
    const bar: SingleBar = this.multi.create(1, 0, payload);
    const meter = new RateMeter();
    return {
      phase(name, total) {
        meter.reset();
        bar.setTotal(Math.max(total, 1));
        bar.update(0, { ...payload, phase: name, waiting: false, speed: 0 });
        Object.assign(payload, { phase: name, waiting: false, speed: 0 });
      },
      update(bytes, speed) {
        payload.speed = speed ?? meter.add(bytes);
        bar.update(bytes, payload);
      },
      state(text) {
        Object.assign(payload, { state: text, waiting: true });
        bar.update(payload);
      },
      finish(text) {
        Object.assign(payload, { state: text, waiting: true });
        bar.update(payload);
      },
    };
  }

  note(text: string): void {
    this.multi.log(`${text}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}
