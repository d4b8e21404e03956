// What each Room API method does and what roomfiles decided about it, beside the generated schema tables of
// docs/room-api.md (scripts/room-api-doc.mjs). A method of the protocol table without a note here fails the
// generator, so a new method cannot reach the reference without its sentence.

/** @type {Record<string, { does: string, decided?: string }>} */
export const methodNotes = {
  auth: {
    does: 'Authorizes the connection: `unsecured` on an unprotected room, `secured` with a PIN or password, or a `token` from an earlier auth. The reply carries the API token and the token for the HTTP server.',
    decided:
      'A PIN or password grants the admin role; `role:"user"` asks for less. On an unprotected room `secured` succeeds with any credentials. Tokens live in memory (a restart invalidates them) and are looked up by their sha256.',
  },
  setUsedApiVersion: {
    does: 'Selects the API version of this connection: 2 gives the current names only, 1 (the default) adds the legacy events.',
    decided:
      'The numbers 1 and 2 are accepted as well as the strings "1" and "2"; anything else is 400. Allowed before `auth`.',
  },
  getAppState: {
    does: 'The application state (none, connecting, logged in, in a conference…) and the HTTP server port.',
  },
  getSystemInfo: {
    does: 'What the room is: auth state, product name and version, the file-transfer limits.',
  },
  getSettings: { does: "The room's settings as name/value pairs (its name among them)." },
  getMonitorsInfo: { does: 'The monitors of the room: roomfiles has none and says so with an empty list.' },
  connectToServer: {
    does: 'Points the room at a server (a roomfiles hub) and saves it; `serverConnected` or `serverDisconnected` follows.',
    decided: 'Naming another server than the saved one forgets the saved credentials.',
  },
  getConnected: { does: 'Whether the room is connected to its server, and which one.' },
  login: {
    does: 'Logs the room in to its server with a TrueConf ID and password; the `login` event carries the result.',
    decided:
      'Credentials the hub refuses as unknown or wrong (results 2, 3) are forgotten, so a room does not retry them forever.',
  },
  getLogin: { does: 'Whether the room is logged in, and as whom.' },
  logout: { does: 'Logs out and forgets the saved credentials; the `logout` event follows.' },
  getTokenForHttpServer: { does: 'A fresh token for the built-in HTTP server (valid for 5 minutes).' },
  clearTokens: {
    does: 'Revokes every API and HTTP token the room issued.',
    decided: 'It sends no `authorizationNeeded`: the connections notice on their next call.',
  },
  getHttpServerSettings: {
    does: "The built-in HTTP server's settings: port, connection limit, largest upload.",
  },
  setHttpServerSettings: {
    does: 'Changes the HTTP server settings; each change is saved and reported with `httpServerSettingChanged`.',
    decided: 'A port change applies at the next start of the HTTP server (`isPendingToBeApplied`).',
  },
  getHttpServerState: { does: 'Whether the built-in HTTP server is running.' },
  startHttpServer: {
    does: 'Starts the built-in HTTP server.',
    decided:
      'Always followed by `httpServerStateChanged`, with the state as it is, even when nothing changed.',
  },
  stopHttpServer: {
    does: 'Stops the built-in HTTP server (file transfers need it).',
    decided: 'As `startHttpServer`.',
  },
  getFileList: { does: 'Every file on the built-in HTTP server: uploaded ones and received ones.' },
  getFileTransferAvailability: {
    does: 'Whether this room may transfer files now (0 forbidden, 1 licence, 2 not logged in, 3 available).',
  },
  getFileRequestInfo: {
    does: 'One request, incoming or outgoing, by its `fileRequestId`.',
    decided:
      '`statusReason` (rejected, expired, failed, cancelled) says why a request ended in status 0, and `statusReasonText` says it in words when the server or the room said more (over quota, a full store); `processedPercents` is there while it transfers.',
  },
  sendFile: {
    does: 'Offers a file on the room to a user (`peerId`, or `callId` as the contract names it).',
    decided:
      "An offer goes to the account and every room logged in as it; the first to accept takes it. Sending to yourself is 400. A name without a domain gets the server's.",
  },
  sendFileToConference: {
    does: 'Offers a file to everyone in the conference the room is in.',
    decided: 'One offer per other account present; the hub receives the body once.',
  },
  acceptIncomingFileRequest: {
    does: 'Accepts an offer: the room downloads the body from the hub.',
    decided:
      "The room's storage is checked first (413, the request stays waiting); the body is verified by sha256 before the file is recorded.",
  },
  rejectIncomingFileRequest: {
    does: 'Rejects an offer; it leaves the incoming list.',
    decided: 'Works while the link is down: the rejection reaches the hub at the next login.',
  },
  getIncomingFilesRequests: { does: 'The incoming requests, newest first (rejected ones are gone).' },
  getOutgoingFilesRequests: { does: 'The outgoing requests, newest first.' },
  getFileTransferHistory: { does: 'Completed transfers, both directions.' },
  deleteFileTransferFile: {
    does: 'Deletes a file from the room and every history entry naming it.',
    decided: 'A file a waiting or running transfer uses cannot go (409); the requests themselves stay.',
  },
  clearFileTransferHistory: { does: 'Empties the history; with `deleteFilesFromDisk` the files go too.' },
  createConference: {
    does: 'Creates a conference this room owns, inviting `inviteList`; `conferenceCreated` follows.',
    decided: 'There is no media: a conference is who is present. `autoAccept` is accepted and has no effect.',
  },
  call: {
    does: 'Joins a named conference (`\\c\\name`).',
    decided: 'A call to a user is 409: there are no calls, only conferences.',
  },
  accept: { does: 'Accepts the invitation the room received.' },
  reject: { does: 'Rejects the invitation the room received.' },
  hangUp: { does: 'Leaves the conference; `forAll` ends it for everyone (its owner only).' },
  getConferences: { does: 'The conference the room is in.' },
  getConferenceParticipants: { does: 'Who is in the conference.' },
  inviteToConference: { does: 'Invites a user to the conference the room is in.' },
  acceptFile: { does: 'Legacy name of `acceptIncomingFileRequest`, by legacy id.' },
  rejectFile: { does: 'Legacy name of `rejectIncomingFileRequest`, by legacy id.' },
  sendConferenceFile: { does: 'Legacy name of `sendFileToConference`; the reply also has the legacy id.' },
  getFileRequests: { does: 'Legacy: the incoming requests as legacy items.' },
  getFileUploads: { does: 'Legacy: the outgoing requests as legacy items.' },
  getFileTransferInfo: {
    does: 'Legacy: both lists at once.',
    decided: 'It is `getFileRequests` and `getFileUploads` together, so without rejected incoming requests.',
  },
  getFileInfo: {
    does: 'Legacy name of `getFileRequestInfo`, by legacy id.',
    decided:
      '`fileId` is null until an incoming body is complete; `processedSize` and `speed` are those of the last progress event.',
  },
  clearFileTransfer: { does: 'Legacy name of `clearFileTransferHistory` without deleting files.' },
};
