// `keywatch serve` as a child process for the watch service's integration tests: writes its
// config, starts it from source, reads its JSON-lines log, and tells the test its API address.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabState } from '../lab/lab.ts';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** A config for the lab: its resolver and anchor, its CA, private targets allowed, quick checks. */
export function labServeConfig(state: LabState, dataDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    dns: { resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: join(state.dir, 'trust-anchor.ds'), timeoutMs: 2000 },
    caFile: state.ca.rootFile,
    allowPrivate: true,
    check: { timeoutMs: 5000, concurrency: 4, extraHandshakes: false, streamIds: 0 },
    ...extra,
  };
}

export function writeConfig(file: string, config: Record<string, unknown>): string {
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export async function startServe(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let err = '';
  let partial = '';
  child.stdout.on('data', (b: Buffer) => {
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ unparsed: line });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = logs.find(pred);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (done) {
          cleanup();
          reject(new Error(`keywatch serve exited before the expected log line\nstderr: ${err}\nlog: ${logs.map((l) => JSON.stringify(l)).join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such log line within ${timeoutMs} ms\nstderr: ${err}\nlog: ${logs.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const started = await waitForLog((l) => l.event === 'started');
  return { child, url: String(started.listen), logs, stderr: () => err, exited, waitForLog };
}

export async function waitUntil<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function api(base: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}
