import assert from 'node:assert/strict';
import { compileCheck } from '../../src/protocol/schema-check.js';
import {
  legacyEventSchemas,
  legacyModeAdditions,
  type LegacyEventName,
} from '../../src/protocol/legacy-events.js';
import { LegacyItem } from '../../src/protocol/legacy-types.js';
import type { TestBed } from '../helpers/harness.js';
import { Recorder, type Connection, type Message, type Party } from '../transfer/support.js';

/** Shared pieces of the tests of the legacy names (room-api.md §10). */

export const LEGACY_EVENTS = new Set<string>(Object.keys(legacyEventSchemas));

/** The current events each legacy event may follow (room-api.md §10, "sent with"). */
const COUNTERPARTS: Record<LegacyEventName, string[]> = {
  fileSent: ['outgoingFileRequestSent'],
  fileConferenceSent: ['outgoingFileRequestSentToConference'],
  fileAccepted: ['incomingFileRequestAccepted', 'fileRequestStatusChanged'],
  fileRejected: ['incomingFileRequestRejected', 'fileRequestStatusChanged'],
  fileStatus: ['fileRequestStatusChanged'],
  fileDownloadingProgress: ['incomingFileRequestDownloadingProgress'],
  fileUploadingProgress: ['outgoingFileRequestUploadingProgress'],
  fileTransferAvailable: ['fileTransferAvailabilityChanged'],
  fileTransferCleared: ['fileTransferHistoryCleared'],
  fileTransferFileDeleted: ['fileDeletedFromFileTransferHistory'],
};

const eventChecks = new Map(
  Object.entries(legacyEventSchemas).map(([name, schema]) => [name, compileCheck(schema)]),
);
const itemCheck = compileCheck(LegacyItem);

/**
 * What legacy mode adds on a name both sets share (a reply, or an event as a Recorder keeps it) is there, typed as
 * the table says.
 */
export function assertLegacyAdditions(
  kind: 'replies' | 'events',
  name: string,
  message: Record<string, unknown>,
): void {
  const schema = (legacyModeAdditions[kind] as Record<string, Parameters<typeof compileCheck>[0]>)[name];
  assert.ok(schema, `legacy mode adds nothing to ${name}`);
  assert.equal(compileCheck(schema)(message), null, `${name}: ${JSON.stringify(message)}`);
}

/** A legacy event (as a Recorder keeps it: `{event, ...fields}`) has exactly the keys of its schema. */
export function assertLegacyEvent(message: Message): void {
  const { event, ...fields } = message;
  const check = eventChecks.get(String(event));
  assert.ok(check, `${String(event)} is not a legacy event`);
  assert.equal(check(fields), null, `${String(event)}: ${JSON.stringify(fields)}`);
}

/** A legacy item has exactly its keys, every one present. */
export function assertLegacyItem(item: unknown): void {
  assert.equal(itemCheck(item), null, JSON.stringify(item));
}

/**
 * The event stream of a connection in legacy mode: every legacy event has exactly its keys and comes right after
 * its current counterpart (only legacy events between them). Returns the legacy events.
 */
export function checkLegacyStream(events: Message[]): Message[] {
  const legacy: Message[] = [];
  let lastCurrent: string | null = null;
  for (const message of events) {
    const name = String(message.event);
    if (!LEGACY_EVENTS.has(name)) {
      lastCurrent = name;
      continue;
    }
    assertLegacyEvent(message);
    assert.ok(
      lastCurrent !== null && COUNTERPARTS[name as LegacyEventName].includes(lastCurrent),
      `${name} came after ${lastCurrent}, not after ${COUNTERPARTS[name as LegacyEventName].join(' or ')}`,
    );
    legacy.push(message);
  }
  return legacy;
}

/** The current events of a stream (legacy ones left out). */
export function currentOnly(events: Message[]): Message[] {
  return events.filter((m) => !LEGACY_EVENTS.has(String(m.event)));
}

/** Asserts that a stream holds no legacy event and no legacy key on the names both sets share. */
export function assertNoLegacy(events: Message[]): void {
  for (const message of events) {
    assert.ok(!LEGACY_EVENTS.has(String(message.event)), `a legacy event: ${JSON.stringify(message)}`);
    if (message.event === 'receivedFileRequest') assert.ok(!('id' in message), JSON.stringify(message));
  }
}

export interface LegacySide {
  conn: Connection;
  rec: Recorder;
}

/** A second connection to a party's room that selects no API version: legacy mode. */
export async function legacySide(bed: TestBed, party: Party): Promise<LegacySide> {
  const conn = await bed.connect(party.room, { apiVersion: null });
  return { conn, rec: new Recorder(conn) };
}
