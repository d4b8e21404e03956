import { Command, Option } from 'commander';
import type { RoomClient } from '../../client/index.js';
import { collect } from '../parse.js';
import { UsageError } from '../process.js';
import { Failure, outcome, withConnectionOptions, withRoom, type ConnectionFlags } from './connection.js';
import { oneLine, table } from './format.js';
import { Printer } from './output.js';
import { ConferenceRole } from '../../protocol/codes.js';

const TIMEOUT_MS = 20_000;

interface Entered {
  confId: string;
  confTitle: string;
  conferenceOwner: string;
}

/** Waits for conferenceCreated (entered) — or, for a named conference, rejectReceived (no such conference). */
function untilEntered(client: RoomClient, what: string): Promise<Entered> {
  return outcome<Entered>(
    client,
    TIMEOUT_MS,
    `${what}: the room did not enter the conference in time`,
    (settle) => [
      client.on('conferenceCreated', (event) => settle(event)),
      client.on('rejectReceived', (event) =>
        settle(
          new Failure(
            event.cause === 19 ? `${what}: there is no such conference on the server` : `${what}: refused`,
          ),
        ),
      ),
    ],
  );
}

async function apiFailure(error: unknown, what: string): Promise<Error> {
  const { RoomApiError } = await import('../../client/index.js');
  if (error instanceof RoomApiError) return new Failure(`${what}: ${error.error}`, error);
  return error as Error;
}

/** `weekly` or `\c\weekly` → `\c\weekly`, the call string of a named conference. */
function callString(cid: string): string {
  const trimmed = cid.trim();
  return trimmed.startsWith('\\c\\') ? trimmed : `\\c\\${trimmed}`;
}

export function conferenceCommand(): Command {
  const conference = new Command('conference').description(
    "the room's conference: create, join, leave, answer an invitation (a conference send needs one)",
  );
  conference.addHelpText(
    'after',
    '\nExamples:\n' +
      '  roomfiles conference create --title Review --invite bob@files.local\n' +
      '  roomfiles conference join weekly     # a named conference (roomfiles hub conference add weekly)\n' +
      '  roomfiles send deck.pdf --conference && roomfiles conference leave',
  );

  conference.addCommand(
    withConnectionOptions(
      new Command('create')
        .description('create a conference, owned by this room, and invite others to it')
        .option('--title <title>', 'its title', 'conference')
        .option('--invite <peer>', 'TrueConf ID to invite (repeatable)', collect, [])
        .addOption(
          new Option('--type <type>', 'conference type')
            .choices(['symmetric', 'asymmetric', 'role'])
            .default('symmetric'),
        ),
    )
      .addHelpText(
        'after',
        '\nExample:\n  roomfiles conference create --title Review --invite bob@files.local --invite carol',
      )
      .action(async (flags: ConnectionFlags & { title: string; invite: string[]; type: string }) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          const entered = untilEntered(client, 'cannot create the conference');
          try {
            await client.createConference({
              title: flags.title,
              confType: flags.type,
              inviteList: flags.invite,
            });
          } catch (error) {
            throw await apiFailure(error, 'cannot create the conference');
          }
          const conf = await entered;
          printer.document({ ...conf, invited: flags.invite });
          const invited = flags.invite.length > 0 ? `; invited ${flags.invite.join(', ')}` : '';
          printer.line(`created the conference "${oneLine(conf.confTitle)}" (${conf.confId})${invited}`);
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(
      new Command('join')
        .description('join a named conference of the server')
        .argument('<cid>', 'its id (weekly, or \\c\\weekly)'),
    )
      .addHelpText('after', '\nExample:\n  roomfiles conference join weekly')
      .action(async (cid: string, flags: ConnectionFlags) => {
        if (cid.trim() === '' || cid.trim() === '\\c\\')
          throw new UsageError('give the id of the conference');
        const printer = new Printer(Boolean(flags.json));
        const what = `cannot join ${cid.trim()}`;
        await withRoom(flags, async (client) => {
          const entered = untilEntered(client, what);
          try {
            await client.call({ peerId: callString(cid) });
          } catch (error) {
            throw await apiFailure(error, what);
          }
          const conf = await entered;
          printer.document(conf);
          printer.line(`joined the conference "${oneLine(conf.confTitle)}" (${conf.confId})`);
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(
      new Command('leave')
        .description('leave the conference the room is in')
        .option('--for-all', 'end it for everyone (its owner only)'),
    )
      .addHelpText(
        'after',
        '\nExamples:\n  roomfiles conference leave\n  roomfiles conference leave --for-all',
      )
      .action(async (flags: ConnectionFlags & { forAll?: boolean }) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          const left = outcome<{ confId: string }>(
            client,
            TIMEOUT_MS,
            'the room did not leave in time',
            (settle) => [client.on('conferenceDeleted', (event) => settle(event))],
          );
          try {
            await client.hangUp({ forAll: Boolean(flags.forAll) });
          } catch (error) {
            throw await apiFailure(error, 'cannot leave');
          }
          const { confId } = await left;
          printer.document({ left: true, confId, forAll: Boolean(flags.forAll) });
          printer.line(
            flags.forAll ? `ended the conference ${confId} for everyone` : `left the conference ${confId}`,
          );
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(new Command('accept').description('accept the invitation the room received'))
      .addHelpText(
        'after',
        '\nExample:\n  roomfiles watch    # shows "alice@files.local invites this room to …"\n  roomfiles conference accept',
      )
      .action(async (flags: ConnectionFlags) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          const entered = untilEntered(client, 'cannot accept the invitation');
          try {
            await client.accept();
          } catch (error) {
            throw await apiFailure(error, 'cannot accept the invitation');
          }
          const conf = await entered;
          printer.document(conf);
          printer.line(`joined the conference "${oneLine(conf.confTitle)}" (${conf.confId})`);
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(new Command('reject').description('decline the invitation the room received'))
      .addHelpText('after', '\nExample:\n  roomfiles conference reject')
      .action(async (flags: ConnectionFlags) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          const sent = outcome<{ peerId: string; confId: string }>(
            client,
            TIMEOUT_MS,
            'the room did not decline in time',
            (settle) => [client.on('rejectSent', (event) => settle(event))],
          );
          try {
            await client.reject();
          } catch (error) {
            throw await apiFailure(error, 'cannot decline the invitation');
          }
          const event = await sent;
          printer.document({ rejected: true, peerId: event.peerId, confId: event.confId });
          printer.line(`declined the invitation of ${event.peerId}`);
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(
      new Command('invite')
        .description('invite someone to the conference the room is in')
        .argument('<peers...>', 'TrueConf IDs'),
    )
      .addHelpText('after', '\nExample:\n  roomfiles conference invite carol@files.local')
      .action(async (peers: string[], flags: ConnectionFlags) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          for (const peerId of peers) {
            try {
              await client.inviteToConference({ peerId });
            } catch (error) {
              throw await apiFailure(error, `cannot invite ${peerId}`);
            }
            printer.line(`invited ${peerId}`);
          }
          printer.document({ invited: peers });
        });
      }),
  );

  conference.addCommand(
    withConnectionOptions(
      new Command('show').description('the conference the room is in, and who is present'),
    )
      .addHelpText('after', '\nExample:\n  roomfiles conference show --json')
      .action(async (flags: ConnectionFlags) => {
        const printer = new Printer(Boolean(flags.json));
        await withRoom(flags, async (client) => {
          const [conf, { participants }] = await Promise.all([
            client.getConferences(),
            client.getConferenceParticipants(),
          ]);
          if (!conf.confId) {
            printer.document(null);
            return printer.line('not in a conference');
          }
          printer.document({
            confId: conf.confId,
            id: conf.id,
            title: conf.confTitle,
            owner: conf.conferenceOwner,
            participants,
          });
          printer.line(`"${oneLine(conf.confTitle ?? '')}" (${conf.confId}), owner ${conf.conferenceOwner}`);
          printer.block(
            table(participants, [
              { title: 'PARTICIPANT', value: (p) => p.peerId },
              { title: 'NAME', value: (p) => p.peerDn },
              { title: 'ROLE', value: (p) => (p.role === ConferenceRole.Owner ? 'owner' : 'participant') },
            ]),
          );
        });
      }),
  );
  return conference;
}
