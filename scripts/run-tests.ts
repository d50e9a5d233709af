// Test runner: starts the lab once (when integration tests are selected), runs every test file
// with Node's test runner, and stops the lab whatever happens — test failure, Ctrl-C, SIGTERM.
//
//   node --import tsx scripts/run-tests.ts               all tests
//   node --import tsx scripts/run-tests.ts --unit        unit tests only (no lab)
//   node --import tsx scripts/run-tests.ts FILE...       just these files (lab if any needs it)
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_NET, startLab, type Lab } from '../test/lab/lab.ts';

const root = resolve(import.meta.dirname, '..');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (entry.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const needsLab = (file: string) => relative(root, file).startsWith(join('test', 'integration'));

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const explicit = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
  const files = explicit.length
    ? explicit
    : [...findTests(join(root, 'test', 'unit')), ...(unitOnly ? [] : findTests(join(root, 'test', 'integration')))];
  if (files.length === 0) {
    console.error('run-tests: no test files found');
    return 1;
  }

  let lab: Lab | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (files.some(needsLab)) {
      const net = Number(process.env.KEYWATCH_LAB_NET ?? DEFAULT_NET);
      const t0 = performance.now();
      lab = await startLab({ net, log: (l) => console.log(l) });
      const statePath = join(lab.state.dir, 'state.json');
      writeFileSync(statePath, JSON.stringify(lab.state, null, 2));
      env.KEYWATCH_LAB_STATE = statePath;
      console.log(`run-tests: lab start-up ${Math.round(performance.now() - t0)} ms`);
    }
    return await runNodeTest(files, env);
  } finally {
    await lab?.stop();
  }
}

async function runNodeTest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  // Ctrl-C reaches the test processes through the terminal; SIGTERM is passed on explicitly.
  // Either way we wait for them to end, and main's `finally` then stops the lab.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  const code = await new Promise<number>((res) => child.once('exit', (c, s) => res(c ?? (s ? 1 : 0))));
  console.log(`run-tests: ${files.length} test files in ${Math.round(performance.now() - t0)} ms`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
