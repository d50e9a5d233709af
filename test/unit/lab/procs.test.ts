// The lab's promise: it stops exactly the processes it started, with everything they started,
// and a later run cleans up after one that was killed — without touching anybody else's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendants, reapStale, spawnDaemon, stopDaemon, waitUntil } from '../../lab/procs.ts';
import { startLab } from '../../lab/lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'keywatch-procs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Gone for good: not running and not a zombie either (reaped by its parent).
const reaped = (pid: number) => !existsSync(`/proc/${pid}`);
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stopDaemon', () => {
  it('stops the daemon and the processes it started, and reaps it', async () => {
    const registry = join(dir, 'tree.pids');
    // A shell that starts two grandchildren and ignores SIGTERM itself, like a wrapper script.
    const d = spawnDaemon('tree', 'sh', ['-c', "trap '' TERM; sleep 300 & sleep 300 & wait"], {
      logFile: join(dir, 'tree.log'),
      registry,
    });
    await waitUntil(d, 'two children', () => Promise.resolve(descendants(d.pid).length === 2));
    const kids = descendants(d.pid);
    await stopDaemon(d, 500);
    assert.ok(reaped(d.pid), 'daemon reaped');
    for (const k of kids) assert.ok(reaped(k), `grandchild ${k} stopped and reaped`);
    assert.equal(d.child.exitCode === null && d.child.signalCode === null, false);
  });

  it('reports a daemon that dies before it is ready, with its log', async () => {
    const d = spawnDaemon('dies', 'sh', ['-c', 'echo "config error on line 3" >&2; exit 4'], {
      logFile: join(dir, 'dies.log'),
      registry: join(dir, 'dies.pids'),
    });
    await assert.rejects(
      waitUntil(d, 'never', () => Promise.resolve(false), 5000),
      (e: Error) => /dies exited \(4\)/.test(e.message) && /config error on line 3/.test(e.message),
    );
  });
});

describe('reapStale', () => {
  it('kills registered processes that still name the lab directory, and spares the rest', async () => {
    const marker = join(dir, 'stale-lab');
    const registry = join(dir, 'stale.pids');
    // Survivors of a "killed" run: detached, so they are not our children to stop directly.
    const ours = spawn('bash', ['-c', `exec -a "nsd -c ${marker}/nsd.conf" sleep 300`], { detached: true, stdio: 'ignore' });
    const foreign = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    try {
      await sleep(100);
      writeFileSync(registry, `${ours.pid}\n${foreign.pid}\n999999999\n`);
      const reaped = await reapStale(registry, marker);
      assert.deepEqual(reaped, [ours.pid]);
      await sleep(50);
      assert.ok(isAlive(foreign.pid!), 'a PID whose command line does not name the lab is left alone');
    } finally {
      foreign.kill('SIGKILL');
      ours.kill('SIGKILL');
    }
  });

  it('also stops an orphan that is in no registry but names the lab directory', async () => {
    const marker = join(dir, 'orphan-lab');
    const orphan = spawn('bash', ['-c', `exec -a "beam.smp -mnesia dir ${marker}/spool" sleep 300`], { detached: true, stdio: 'ignore' });
    try {
      await sleep(100);
      const reaped = await reapStale(join(dir, 'no-such.pids'), marker);
      assert.deepEqual(reaped, [orphan.pid]);
      await new Promise((r) => (orphan.exitCode !== null || orphan.signalCode !== null ? r(null) : orphan.once('exit', r)));
      assert.equal(orphan.signalCode, 'SIGTERM', 'the orphan was stopped by the reaper');
      assert.deepEqual(await reapStale(join(dir, 'no-such.pids'), marker), [], 'nothing left on a second pass');
    } finally {
      orphan.kill('SIGKILL');
    }
  });

  it('does nothing without a registry', async () => {
    assert.deepEqual(await reapStale(join(dir, 'none.pids'), dir), []);
  });
});

describe('startLab', () => {
  it('refuses to start a second lab on a block whose lab is still running', async () => {
    const root = mkdtempSync(join(dir, 'locked-'));
    const holder = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      writeFileSync(join(root, 'keywatch-lab-250.lock'), String(holder.pid));
      await assert.rejects(startLab({ net: 250, dir: join(root, 'lab') }), /already running on 127\.250\.0\.0\/16 \(process \d+\).*KEYWATCH_LAB_NET/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
