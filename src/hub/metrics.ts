import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayCounters } from './body-follower.js';
import type { HubStats } from './stats.js';

/**
 * The hub's counters in the Prometheus text format (GET /metrics, behind the metrics token). Every value is read
 * from HubStats when scraped; no label names a body's sha256 or an account: a scrape tells how busy the hub is,
 * not who sends what.
 */
export function hubMetrics(parts: {
  stats: HubStats;
  links: () => number;
  relayed: RelayCounters;
}): Registry {
  const { stats, links, relayed } = parts;
  const registry = new Registry();
  // The process's own figures (resident memory, open descriptors, event-loop lag): what an operator alarms on.
  collectDefaultMetrics({ register: registry, prefix: 'roomfiles_hub_' });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: 'roomfiles_hub_links',
    help: 'Room links open on this hub process',
    registers: [registry],
    collect() {
      this.set(links());
    },
  });
  counter(
    'roomfiles_hub_received_bytes_total',
    'Body bytes received from senders',
    () => stats.bytesReceived,
  );
  counter('roomfiles_hub_sent_bytes_total', 'Body bytes sent to recipients', () => stats.bytesSent);
  counter('roomfiles_hub_uploads_started_total', 'Body uploads (PATCH) started', () => stats.uploadsStarted);
  counter(
    'roomfiles_hub_uploads_completed_total',
    'Body uploads completed and verified',
    () => stats.uploadsCompleted,
  );
  new Counter({
    name: 'roomfiles_hub_relayed_bytes_total',
    help: 'Body bytes relayed to recipients, by where they were read from',
    labelNames: ['source'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ source: 'memory' }, relayed.fromMemory);
      this.inc({ source: 'store' }, relayed.fromStore);
    },
  });
  return registry;
}
