// Process management for the lab: start daemons in the foreground as our own children,
// wait until they answer, and stop exactly the processes we started, by PID, reaping them.
//
// Every PID is also written to a registry file so that a later run can clean up after a run
// that was killed with SIGKILL (when no `finally` could run). A registered PID is only ever
// signalled if its command line still names this lab's directory, so a recycled PID that now
// belongs to somebody else is left alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, openSync, closeSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has been reaped. */
  readonly exited: Promise<string>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  registry: string;
}

export function spawnDaemon(name: string, command: string, args: string[], opts: SpawnOptions): Daemon {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (err) => resolve(`error: ${err.message}`));
  });
  appendFileSync(opts.registry, `${child.pid}\n`);
  return { name, pid: child.pid, child, logFile: opts.logFile, exited };
}

export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll until `probe` succeeds; fail early, with the daemon's log, if the daemon dies first. */
export async function waitUntil(
  daemon: Daemon | undefined,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: string | undefined;
  void daemon?.exited.then((s) => (dead = s));
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (await probe().catch(() => false)) return;
    if (dead !== undefined && daemon) {
      throw new Error(`${daemon.name} exited (${dead}) before ${what}. Log ${daemon.logFile}:\n${logTail(daemon.logFile)}`);
    }
    if (Date.now() > deadline) {
      const log = daemon ? `\nLog ${daemon.logFile}:\n${logTail(daemon.logFile)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${log}`);
    }
    await sleep(delay);
  }
}

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still "exists"; treat it as gone (its parent will reap it).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Still has a /proc entry (running, or a zombie) and a living parent that could reap it. */
function awaitingReap(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid !== 1 && alive(ppid);
  } catch {
    return false;
  }
}

/** Every descendant of `root`, deepest first, read from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      walk(c);
      out.push(c);
    }
  };
  walk(root);
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stop a daemon and everything it started: SIGTERM to its descendants and itself, then
 * SIGKILL after `graceMs` for whatever is left. Resolves when our child has been reaped.
 */
export async function stopDaemon(d: Daemon, graceMs = 4000): Promise<void> {
  // Deepest first: a wrapper script (ejabberdctl → su → beam) then sees its child end normally.
  const tree = [...descendants(d.pid), d.pid];
  for (const pid of tree) if (alive(pid)) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(alive)) await sleep(25);
  // SIGKILL the descendants first and let their (living) parents reap them: PID 1 in a
  // container often reaps nothing, so a child orphaned unreaped stays a zombie for good.
  const below = tree.filter((pid) => pid !== d.pid && alive(pid));
  for (const pid of below) signal(pid, 'SIGKILL');
  const reapDeadline = Date.now() + 2000;
  while (Date.now() < reapDeadline && below.some(awaitingReap)) await sleep(25);
  if (alive(d.pid)) signal(d.pid, 'SIGKILL');
  await Promise.race([d.exited, sleep(5000)]);
  const stuck = tree.filter(alive);
  if (stuck.length) throw new Error(`${d.name}: processes ${stuck.join(', ')} survived SIGKILL`);
}

function mentions(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) && alive(pid);
  } catch {
    return false;
  }
}

/**
 * Live processes whose command line names `marker` (a lab directory), other than this one.
 * This finds a daemon whose parents died before it (ejabberd's beam.smp names its spool dir).
 */
export function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && mentions(pid, marker));
}

/**
 * Clean up after an earlier run that could not stop its processes: signal every registered PID,
 * and every process, whose command line still mentions `marker` (the lab directory), with their
 * descendants. Returns the PIDs found.
 */
export async function reapStale(registry: string, marker: string): Promise<number[]> {
  const registered = existsSync(registry)
    ? readFileSync(registry, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => mentions(pid, marker))
    : [];
  const pids = [...new Set([...registered, ...processesMentioning(marker)])];
  const all = [...new Set(pids.flatMap((p) => [...descendants(p), p]))];
  for (const pid of all) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && all.some(alive)) await sleep(50);
  for (const pid of all) if (alive(pid)) signal(pid, 'SIGKILL');
  return pids;
}

/** Run a command to completion, capturing output; reject with its stderr on failure. */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} failed (${sig ?? code}):\n${stderr || stdout}`));
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
