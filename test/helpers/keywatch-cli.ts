// Run the keywatch CLI as a user would (a child process, from source), for integration tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LabState } from '../lab/lab.ts';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runKeywatch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The lab's resolver and its root anchor, as a file (the lab writes trust-anchor.ds). */
export function labDnsArgs(state: Pick<LabState, 'resolver' | 'dir'>): string[] {
  return ['--resolver', `${state.resolver.address}:${state.resolver.port}`, '--trust-anchor', join(state.dir, 'trust-anchor.ds')];
}
