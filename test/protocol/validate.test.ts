// Parameter validation of Room API requests (room-api.md §2: a missing or mistyped parameter is a 400 that names
// it), checked against the method schemas directly.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateParams } from '../../src/protocol/validate.js';
import { ApiError } from '../../src/protocol/errors.js';
import type { MethodName } from '../../src/protocol/methods.js';

function failure(method: MethodName, params: Record<string, unknown>): ApiError {
  try {
    validateParams(method, { method, ...params });
  } catch (error) {
    assert.ok(error instanceof ApiError, `not an ApiError: ${String(error)}`);
    return error;
  }
  assert.fail(`${method} ${JSON.stringify(params)} was accepted`);
}

function assertNames(
  method: MethodName,
  params: Record<string, unknown>,
  name: string,
  words?: RegExp,
): void {
  const error = failure(method, params);
  assert.equal(error.errorCode, 400);
  assert.ok(error.message.includes(`"${name}"`), `"${error.message}" should name "${name}"`);
  if (words) assert.match(error.message, words);
}

describe('validateParams', () => {
  test('accepts valid requests, with the envelope fields and unknown extra fields', () => {
    const valid: [MethodName, Record<string, unknown>][] = [
      ['getAppState', {}],
      ['getAppState', { requestId: '1', pad: 'x' }],
      ['getAppState', { requestId: 7 }],
      ['auth', { type: 'unsecured' }],
      ['auth', { type: 'secured', credentials: '1234', role: 'admin' }],
      ['auth', { role: 'user' }],
      ['auth', {}],
      ['setUsedApiVersion', { version: '2' }],
      ['setUsedApiVersion', { version: 1 }],
      ['deleteFileTransferFile', { fileId: 42 }],
      ['deleteFileTransferFile', { fileId: '42' }],
      ['deleteFileTransferFile', { fileId: 0 }],
      ['sendFile', { fileId: 1, peerId: 'bob@files.local' }],
      ['sendFile', { fileId: 1, callId: 'bob' }],
      ['getFileRequestInfo', { fileRequestId: '00000000-0000-4000-8000-000000000000' }],
      ['connectToServer', { server: 'hub.example' }],
      ['connectToServer', { server: 'hub.example', port: 4307 }],
      ['login', { login: 'alice@files.local', password: '', encryptPassword: true }],
      ['setHttpServerSettings', { settings: {} }],
      [
        'setHttpServerSettings',
        { settings: { httpServerMaxPostFileSizeInBytes: 1048576, httpServerPort: 0 } },
      ],
      ['clearFileTransferHistory', {}],
      ['clearFileTransferHistory', { deleteFilesFromDisk: false }],
      ['createConference', { title: 'Review', confType: 'symmetric', inviteList: ['bob'], autoAccept: true }],
      ['hangUp', { forAll: true }],
    ];
    for (const [method, params] of valid) {
      assert.doesNotThrow(
        () => validateParams(method, { method, ...params }),
        `${method} ${JSON.stringify(params)}`,
      );
    }
  });

  test('a missing parameter is named as missing', () => {
    assertNames('getFileRequestInfo', {}, 'fileRequestId', /missing/);
    assertNames('deleteFileTransferFile', {}, 'fileId', /missing/);
    assertNames('connectToServer', {}, 'server', /missing/);
    assertNames('login', { password: 'x' }, 'login', /missing/);
    assertNames('login', { login: 'a@b' }, 'password', /missing/);
    assertNames('setHttpServerSettings', {}, 'settings', /missing/);
    assertNames('setUsedApiVersion', {}, 'version', /missing/);
    assertNames('sendFile', { peerId: 'bob' }, 'fileId', /missing/);
    assertNames('createConference', {}, 'title', /missing/);
  });

  test('a mistyped parameter is named', () => {
    assertNames('getFileRequestInfo', { fileRequestId: 5 }, 'fileRequestId');
    assertNames('getFileRequestInfo', { fileRequestId: null }, 'fileRequestId');
    assertNames('getFileRequestInfo', { fileRequestId: '' }, 'fileRequestId');
    assertNames('getFileRequestInfo', { fileRequestId: 'x'.repeat(101) }, 'fileRequestId');
    assertNames('deleteFileTransferFile', { fileId: 'abc' }, 'fileId');
    assertNames('deleteFileTransferFile', { fileId: 1.5 }, 'fileId');
    assertNames('deleteFileTransferFile', { fileId: -1 }, 'fileId');
    assertNames('deleteFileTransferFile', { fileId: '12345678901' }, 'fileId');
    assertNames('deleteFileTransferFile', { fileId: { id: 1 } }, 'fileId');
    assertNames('sendFile', { fileId: 1, peerId: 7 }, 'peerId');
    assertNames('sendFile', { fileId: 1, callId: '' }, 'callId');
    assertNames('connectToServer', { server: 42 }, 'server');
    assertNames('connectToServer', { server: '' }, 'server');
    assertNames('connectToServer', { server: 'h', port: 0 }, 'port');
    assertNames('connectToServer', { server: 'h', port: 65536 }, 'port');
    assertNames('connectToServer', { server: 'h', port: '4307' }, 'port');
    assertNames('login', { login: 'a@b', password: 'p', encryptPassword: 'true' }, 'encryptPassword');
    assertNames('setUsedApiVersion', { version: true }, 'version');
    assertNames('setUsedApiVersion', { version: null }, 'version');
    assertNames('clearFileTransferHistory', { deleteFilesFromDisk: 1 }, 'deleteFilesFromDisk');
    assertNames('hangUp', { forAll: 'yes' }, 'forAll');
    assertNames('createConference', { title: 'T', inviteList: 'bob' }, 'inviteList');
    assertNames('auth', { type: 'magic' }, 'type');
    assertNames('auth', { credentials: 1234 }, 'credentials');
    assertNames('auth', { role: 'root' }, 'role');
  });

  test('nested parameters are named by their path', () => {
    assertNames('setHttpServerSettings', { settings: 'fast' }, 'settings');
    assertNames('setHttpServerSettings', { settings: { httpServerPort: 'x' } }, 'settings.httpServerPort');
    assertNames('setHttpServerSettings', { settings: { httpServerPort: 70000 } }, 'settings.httpServerPort');
    assertNames(
      'setHttpServerSettings',
      { settings: { httpServerMaxPostFileSizeInBytes: 0 } },
      'settings.httpServerMaxPostFileSizeInBytes',
    );
    assertNames('setHttpServerSettings', { settings: { bogus: 1 } }, 'settings.bogus', /unknown/);
    assertNames('createConference', { title: 'T', inviteList: ['bob', 3] }, 'inviteList.1');
  });

  test('a union parameter is described by all it may be, not by its first alternative', () => {
    assertNames('auth', { type: 'magic' }, 'type', /"unsecured".*"secured"/);
    assertNames('auth', { role: 'root' }, 'role', /"admin".*"user"/);
    assertNames('setUsedApiVersion', { version: true }, 'version', /string.*integer|integer.*string/);
    assertNames('deleteFileTransferFile', { fileId: 'abc' }, 'fileId', /integer.*string|string.*integer/);
    assertNames('deleteFileTransferFile', { fileId: -1 }, 'fileId', /integer.*string|string.*integer/);
  });

  test('a value out of range says the range', () => {
    assertNames('connectToServer', { server: 'h', port: 0 }, 'port', /1 to 65535/);
    assertNames(
      'setHttpServerSettings',
      { settings: { httpServerPort: -1 } },
      'settings.httpServerPort',
      /0 to 65535/,
    );
    assertNames('connectToServer', { server: '' }, 'server', /1 to 253 characters/);
    assertNames('hangUp', { forAll: 'yes' }, 'forAll', /true or false/);
  });

  test('messages are sentences without schema jargon', () => {
    for (const [method, params] of [
      ['getFileRequestInfo', {}],
      ['getFileRequestInfo', { fileRequestId: 5 }],
      ['deleteFileTransferFile', { fileId: 'abc' }],
      ['auth', { type: 'magic' }],
    ] as [MethodName, Record<string, unknown>][]) {
      const { message } = failure(method, params);
      assert.doesNotMatch(message, /instancePath|#\/|undefined|\[object/, message);
    }
  });
});
