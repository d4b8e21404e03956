import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './system.js';

/**
 * Debian's nginx run by a test without root: its own prefix, pid, logs and temp paths, `daemon off`. The
 * configuration inside `http { … }` is the caller's (the recipe of docs/operations.md, with the test's ports and
 * files put in).
 */
export interface Nginx {
  errorLog(): string;
  stop(): Promise<void>;
}

export function nginxPath(): string | null {
  return findExecutable('nginx', ['/usr/sbin']);
}

export function nginxMissing(): string | null {
  return nginxPath() ? null : 'nginx (Debian package nginx) is not installed';
}

/** Extracts the first fenced code block of `language` that follows `heading` in a markdown file. */
export function codeBlockAfter(markdownFile: string, heading: string, language = 'nginx'): string {
  const text = readFileSync(markdownFile, 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`${markdownFile} has no "${heading}"`);
  const fence = '```' + language + '\n';
  const start = text.indexOf(fence, at);
  if (start < 0) throw new Error(`no ${language} block after "${heading}" in ${markdownFile}`);
  const end = text.indexOf('\n```', start + fence.length);
  return text.slice(start + fence.length, end + 1);
}

/**
 * docs/operations.md's reverse-proxy recipe with a test's ports and files put in, and nothing else changed. Throws
 * when the recipe no longer has a placeholder it should (the test would then run something else than the docs).
 */
export function documentedRecipe(
  markdownFile: string,
  put: { port: number; hubPort: number; certFile: string; keyFile: string },
): string {
  const recipe = codeBlockAfter(markdownFile, '### Reverse proxy recipe (nginx, TLS termination)');
  const replacements: [string, string][] = [
    ['listen 443 ssl;', `listen 127.0.0.1:${put.port} ssl;`],
    ['server_name hub.example.org;', 'server_name localhost;'],
    ['/etc/ssl/certs/hub.example.org.pem', put.certFile],
    ['/etc/ssl/private/hub.example.org.key', put.keyFile],
    ['http://127.0.0.1:4307', `http://127.0.0.1:${put.hubPort}`],
  ];
  let config = recipe;
  for (const [from, to] of replacements) {
    if (!config.includes(from)) throw new Error(`the recipe has no "${from}"`);
    config = config.split(from).join(to);
  }
  return config;
}

export async function startNginx(dir: string, httpBlock: string, readyPort: number): Promise<Nginx> {
  const nginx = nginxPath();
  if (!nginx) throw new Error('nginx is not installed');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, temp), { recursive: true });
  const conf = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'logs', 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  access_log ${join(dir, 'logs', 'access.log')};`,
    `  client_body_temp_path ${join(dir, 'client_body')};`,
    `  proxy_temp_path ${join(dir, 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'scgi')};`,
    httpBlock,
    '}',
    '',
  ].join('\n');
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const child: ChildProcess = spawn(
    nginx,
    ['-p', dir, '-c', confFile, '-e', join(dir, 'logs', 'error.log')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitForPort(readyPort, child, () => stderr);
  return {
    errorLog: () => readFileSync(join(dir, 'logs', 'error.log'), 'utf8'),
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGQUIT: graceful shutdown; connections in flight are finished.
        child.kill('SIGQUIT');
      }),
  };
}

/** Resolves once nginx accepts connections on `port`; rejects if it exits first. */
async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nginx exited (${code}): ${stderr()}`))),
  );
  exited.catch(() => undefined);
  for (;;) {
    const open = await Promise.race([
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
      exited,
    ]);
    if (open) return;
    // nginx binds within milliseconds of starting: look again on the next turn, not after a fixed sleep.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
