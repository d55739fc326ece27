/**
 * Real `kibble serve` processes (bin/kibble.js → dist/) for multi-process and crash tests. The
 * build is brought up to date first (once, under a lock, so parallel test files do not race).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply } from './server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'kibble.js');
const DIST_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function distIsFresh(): boolean {
  try {
    return statSync(DIST_MAIN).mtimeMs >= newestMtime(join(REPO_ROOT, 'src'));
  } catch {
    return false;
  }
}

/**
 * Compiles src/ to dist/ (`tsc -p tsconfig.build.json`, the server half of `npm run build`) when
 * dist/ is missing or older than a source file.
 */
export async function ensureBuilt(): Promise<void> {
  if (distIsFresh()) return;
  const lock = join(REPO_ROOT, 'node_modules', '.kibble-test-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      // Another test file is building; a lock older than 3 minutes is left over from a crash.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (distIsFresh()) return;
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type ServerProcess = {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** What the process printed (stdout and stderr), for failure messages. */
  output(): string;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply<T>>;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after 10 s. */
  stop(): Promise<void>;
};

/** A key every spawned process accepts: passed as KIBBLE_ADMIN_KEY. */
export const PROCESS_ADMIN_KEY = 'kbl_test_multi_process_admin_key_0123456789abcdef';

/** Starts `node bin/kibble.js serve` on a free port with `env` (database selection) and waits until it listens. */
export async function spawnServer(
  env: Record<string, string>,
  opts: { port?: number } = {},
): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: REPO_ROOT,
    env: { ...process.env, KIBBLE_LOG: 'off', KIBBLE_ADMIN_KEY: PROCESS_ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    const onData = () => {
      if (out.includes('Kibble is running at')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    url,
    port,
    child,
    output: () => out,
    async request(method, path, body, headers = {}) {
      const h: Record<string, string> = { authorization: `Bearer ${PROCESS_ADMIN_KEY}`, ...headers };
      if (body !== undefined && typeof body !== 'string') h['content-type'] ??= 'application/json';
      const res = await fetch(`${url}${path}`, {
        method,
        headers: h,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text.length ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
