import { test } from 'node:test';
import { hubGoesAwayMidTransfer } from './crash-support.js';

test('kill -9 of the hub mid-transfer: both sides resume where they stopped', { timeout: 180_000 }, () =>
  hubGoesAwayMidTransfer('SIGKILL'),
);
