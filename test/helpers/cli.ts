/**
 * Runs the REAL `kibble` binary (bin/kibble.js → dist/cli/main.js) as a child process, the way a
 * user does. `npm test` builds dist/ first (pretest); when dist/ is older than src/ the tests
 * stop with a clear message instead of silently testing stale code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const KIBBLE_BIN = join(ROOT, 'bin/kibble.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Throws unless dist/cli/main.js exists and is newer than every source file. */
export function assertBuilt(): void {
  const main = join(ROOT, 'dist/cli/main.js');
  let built: number;
  try {
    built = statSync(main).mtimeMs;
  } catch {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does it for you).');
  }
  if (newestSource(join(ROOT, 'src')) > built) {
    throw new Error('dist/ is older than src/: run `npm run build` first (`npm test` does it for you).');
  }
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

const baseEnv = (env: Record<string, string>) => ({
  ...process.env,
  KIBBLE_LOG: 'off',
  NO_COLOR: '1',
  ...env,
});

/** Runs `kibble ...args` to completion. */
export function kibble(
  args: readonly string[],
  opts: { env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [KIBBLE_BIN, ...args], {
      cwd: ROOT,
      env: baseEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kibble ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export type ServerProcess = { readonly url: string; readonly child: ChildProcess; stop(): Promise<void> };

/** Starts `kibble serve` on a free port and waits until it says where it listens. */
export function kibbleServe(env: Record<string, string>): Promise<ServerProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [KIBBLE_BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: ROOT,
      env: baseEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kibble serve did not start:\n${output}`));
    }, 60_000);
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      const m = /running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1]!, child, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kibble serve exited with ${code}:\n${output}`));
    });
  });
}
