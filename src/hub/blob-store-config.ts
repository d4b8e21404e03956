import { S3Client } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import type { BlobStore } from './blob-store.js';
import { DirectoryBlobStore } from './directory-blob-store.js';
import { S3BlobStore, parseS3Url } from './s3-blob-store.js';

/** How to reach an S3-compatible endpoint other than AWS's own (MinIO, Ceph RGW). */
export interface S3Settings {
  /** The endpoint's URL (`--s3-endpoint`); AWS S3 when absent. */
  endpoint?: string;
  /** Bucket in the path (`http://host/bucket/key`), not the host name: what MinIO and most on-premises stores need. */
  forcePathStyle?: boolean;
}

/** Used when neither the environment nor the AWS config files name a region: MinIO and Ceph ignore it. */
const FALLBACK_REGION = 'us-east-1';

/** Never longer than this to open a connection to the endpoint: an unreachable one is retried, not waited on. */
const CONNECT_TIMEOUT_MS = 5000;
/** A request that has made no progress for this long is given up (and retried by the store). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * An S3 client with credentials and region from the standard AWS environment variables and files (the SDK's
 * default chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials, instance roles…).
 */
export function createS3Client(settings: S3Settings = {}): S3Client {
  const options = {
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle ?? false,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  };
  // The SDK's own region lookup (environment, config file), asked through a client of its own; where it finds
  // none, the fallback instead of an error at the first request.
  const lookup = new S3Client(options);
  return new S3Client({ ...options, region: () => lookup.config.region().catch(() => FALLBACK_REGION) });
}

/** True for a location the S3 store serves (`s3://bucket/prefix`). */
export const isS3Location = (location: string) => location.startsWith('s3://');

/**
 * Loaded only when asked for (the AWS SDK takes a second to load): the blob store a hub (or `hub migrate`) uses for `location`: `s3://bucket/prefix` is S3BlobStore, anything else a
 * directory; no location is the default directory.
 */
export function openBlobStore(
  location: string | undefined,
  defaultDir: string,
  s3: S3Settings = {},
): BlobStore {
  if (location && isS3Location(location)) {
    return new S3BlobStore({ client: createS3Client(s3), ...parseS3Url(location) });
  }
  return new DirectoryBlobStore(resolve(location ?? defaultDir));
}
