import { GiB, MiB } from './stats.js';

/** The sizes of one benchmark run: full (`npm run bench`) or quick (`npm run bench -- --quick`). */
export interface BenchConfig {
  mode: 'full' | 'quick';
  /** Repetitions of every measurement (each next to its own baseline). */
  runs: number;
  /** Rows 1–3: upload, download, delivery. */
  bodySize: number;
  /** Row 4: the conference send and how many receive it. */
  conferenceSize: number;
  participants: number;
  /** Row 5: concurrent transfers between rooms. */
  transfers: number;
  transferSize: number;
  transferRooms: number;
  /** Row 6: API request rate. */
  rateClients: number;
  rateWarmupMs: number;
  rateDurationMs: number;
  /** Row 7: API latency under load. */
  latencyClients: number;
  latencySamplers: number;
  latencyBodySize: number;
  latencyIdleMs: number;
  /** Row 8: memory. */
  memorySize: number;
  memoryLimitMiB: number;
  /** Row 9: cold start. */
  coldStartLimitMs: number;
  /** Row 15: rooms (link clients) creating offers over two hub processes, and offers created per run. */
  scaleRooms: number;
  scaleOffers: number;
}

export function configFor(quick: boolean, runs?: number): BenchConfig {
  const common = {
    runs: runs ?? 3,
    rateClients: 50,
    latencySamplers: 10,
    memoryLimitMiB: 64,
    coldStartLimitMs: 2000,
  };
  if (quick) {
    return {
      ...common,
      mode: 'quick',
      bodySize: 128 * MiB,
      conferenceSize: 64 * MiB,
      participants: 3,
      transfers: 20,
      transferSize: 8 * MiB,
      transferRooms: 4,
      rateWarmupMs: 500,
      rateDurationMs: 2000,
      latencyClients: 100,
      latencyBodySize: 128 * MiB,
      latencyIdleMs: 2000,
      memorySize: 128 * MiB,
      scaleRooms: 100,
      scaleOffers: 500,
    };
  }
  return {
    ...common,
    mode: 'full',
    bodySize: GiB,
    conferenceSize: 256 * MiB,
    participants: 10,
    transfers: 100,
    transferSize: 8 * MiB,
    transferRooms: 10,
    rateWarmupMs: 1000,
    rateDurationMs: 5000,
    latencyClients: 1000,
    latencyBodySize: GiB,
    latencyIdleMs: 5000,
    memorySize: 4 * GiB,
    scaleRooms: 1000,
    scaleOffers: 5000,
  };
}

/** `1 GiB`, `256 MiB`, `8 MiB`. */
export function sizeLabel(bytes: number): string {
  return bytes >= GiB && bytes % GiB === 0 ? `${bytes / GiB} GiB` : `${Math.round(bytes / MiB)} MiB`;
}
