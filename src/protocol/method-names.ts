import type { MethodName } from './methods.js';

/**
 * The name of every Room API method, without their schemas: what the SDK needs to install its typed methods.
 * Loading the method table means loading TypeBox (about 0.15 CPU-seconds at each start of a process), which a
 * client — every `roomfiles` client command — never validates with. The compiler keeps this list and the table
 * (`methods.ts`) in step: a name missing here, or one the table lacks, fails to compile.
 */
export const METHOD_NAMES = [
  'auth',
  'setUsedApiVersion',
  'getAppState',
  'getSystemInfo',
  'getSettings',
  'getMonitorsInfo',
  'connectToServer',
  'getConnected',
  'login',
  'getLogin',
  'logout',
  'getTokenForHttpServer',
  'clearTokens',
  'getHttpServerSettings',
  'setHttpServerSettings',
  'getHttpServerState',
  'startHttpServer',
  'stopHttpServer',
  'getFileList',
  'getFileTransferAvailability',
  'getFileRequestInfo',
  'sendFile',
  'sendFileToConference',
  'acceptIncomingFileRequest',
  'rejectIncomingFileRequest',
  'getIncomingFilesRequests',
  'getOutgoingFilesRequests',
  'getFileTransferHistory',
  'deleteFileTransferFile',
  'clearFileTransferHistory',
  'createConference',
  'call',
  'accept',
  'reject',
  'hangUp',
  'getConferences',
  'getConferenceParticipants',
  'inviteToConference',
  'acceptFile',
  'rejectFile',
  'sendConferenceFile',
  'getFileRequests',
  'getFileUploads',
  'getFileTransferInfo',
  'getFileInfo',
  'clearFileTransfer',
] as const satisfies readonly MethodName[];

type Unlisted = Exclude<MethodName, (typeof METHOD_NAMES)[number]>;
/** Fails to compile, naming the method, when the table has a method this list lacks. */
export const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
