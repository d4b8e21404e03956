import { performance } from 'node:perf_hooks';
import type { RoomConnection } from '../../src/client/index.js';
import { median } from './stats.js';

/** Seconds from `sendFile` to each step of one delivery, as the two rooms' events tell it. */
export interface Phases {
  /** bob's receivedFileRequest (the offer went alice → hub → bob). */
  offered: number;
  /** bob's status 2 (accepted; the body starts to flow). */
  accepted: number;
  /** bob's last progress event below 100 %: nearly every byte received, hashed and written. */
  bytesIn: number;
  /** alice's status 3: the hub holds the whole body (flushed and verified). */
  senderDone: number;
  /** bob's progress 100 (the body file closed) and status 3 (verified, renamed, recorded). */
  progress100: number;
  done: number;
}

/**
 * Records, with their arrival times, the events of one delivery on the sender's and the recipient's connections,
 * to show where the time of the delivery row goes.
 */
export class Timeline {
  private readonly marks: Partial<Record<keyof Phases, number>> = {};
  private readonly offs: (() => void)[] = [];

  constructor(sender: RoomConnection, recipient: RoomConnection, fileName: string) {
    const at = (key: keyof Phases) => {
      this.marks[key] = performance.now();
    };
    let incomingId = '';
    this.offs.push(
      recipient.on('receivedFileRequest', (e) => {
        if (e.fileName !== fileName) return;
        incomingId = e.fileRequestId;
        at('offered');
      }),
      recipient.on('fileRequestStatusChanged', (e) => {
        if (e.fileRequestId !== incomingId) return;
        if (e.status === 2) at('accepted');
        if (e.status === 3) {
          at('done');
          this.close();
        }
      }),
      recipient.on('incomingFileRequestDownloadingProgress', (e) => {
        if (e.fileRequestId !== incomingId) return;
        at(e.processedPercents < 100 ? 'bytesIn' : 'progress100');
      }),
      sender.on('fileRequestStatusChanged', (e) => {
        if (e.fileName === fileName && e.directionType === 1 && e.status === 3) at('senderDone');
      }),
    );
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
  }

  phases(start: number): Phases {
    const since = (key: keyof Phases) => ((this.marks[key] ?? NaN) - start) / 1000;
    return {
      offered: since('offered'),
      accepted: since('accepted'),
      bytesIn: since('bytesIn'),
      senderDone: since('senderDone'),
      progress100: since('progress100'),
      done: since('done'),
    };
  }
}

export function medianPhases(all: Phases[]): Phases {
  const pick = (key: keyof Phases) => median(all.map((p) => p[key]));
  return {
    offered: pick('offered'),
    accepted: pick('accepted'),
    bytesIn: pick('bytesIn'),
    senderDone: pick('senderDone'),
    progress100: pick('progress100'),
    done: pick('done'),
  };
}

export function describePhases(p: Phases): string {
  const s = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)} s` : '—');
  return (
    `offer at ${s(p.offered)}, accepted ${s(p.accepted)}, 99 % in ${s(p.bytesIn)}, ` +
    `sender done ${s(p.senderDone)}, 100 % ${s(p.progress100)}, status 3 ${s(p.done)}`
  );
}
