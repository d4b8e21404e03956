import { test } from 'node:test';
import { hubGoesAwayMidTransfer } from './crash-support.js';

test(
  'a restart of the hub (dropped links) mid-transfer: both sides resume where they stopped',
  { timeout: 180_000 },
  () => hubGoesAwayMidTransfer('SIGTERM'),
);
