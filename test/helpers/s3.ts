import { after } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tempDir } from './harness.js';

const require = createRequire(import.meta.url);
/** s3rver's own command (its package ships it): the S3 endpoint, a separate process like a real one. */
const S3RVER_BIN = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');

/** s3rver accepts these (any well-formed signature, with --allow-mismatched-signatures). */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3_REGION = 'us-east-1';

/** The environment a `roomfiles hub --blobs s3://…` child needs to sign its requests for the test's endpoint. */
export const S3_ENV = {
  // The SDK's one-time notice that its 2027 releases need Node 22: true, and not what these tests are about.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  AWS_REGION: S3_REGION,
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * An S3 endpoint on loopback: s3rver (npm) as a child process, its objects in a temporary directory, with one
 * bucket made at start. `stop` and `start` again on the same port and directory are an outage of the endpoint.
 */
/** Every endpoint started in this test file: stopped at its end even when a test failed before its own `stop()`. */
const running = new Set<S3Server>();
if (process.env.NODE_TEST_CONTEXT) {
  after(async () => {
    for (const server of [...running]) await server.close();
  });
}

export class S3Server {
  readonly dir = tempDir('roomfiles-s3-');
  port = 0;
  private child: ChildProcess | null = null;

  private constructor(readonly bucket: string) {
    running.add(this);
  }

  static async start(bucket = 'roomfiles'): Promise<S3Server> {
    const server = new S3Server(bucket);
    await server.start();
    return server;
  }

  /** The endpoint's process (the benchmarks count its CPU time); undefined while stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A client for this endpoint, as the hub makes one (path-style: no bucket host names on loopback). */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      forcePathStyle: true,
      region: S3_REGION,
      credentials: S3_CREDENTIALS,
    });
  }

  /** Starts the endpoint (again, on the port it had, once it had one). */
  async start(): Promise<void> {
    const args = [
      S3RVER_BIN,
      '-d',
      join(this.dir.path, 'objects'),
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
    ];
    args.push('-s', '--allow-mismatched-signatures', '--no-vhost-buckets', '--configure-bucket', this.bucket);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    this.port = await new Promise<number>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString();
        const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}): ${output}`)));
    });
  }

  /** Stops the endpoint: from now on nothing answers on its port. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async close(): Promise<void> {
    await this.stop();
    this.dir.cleanup();
  }
}
