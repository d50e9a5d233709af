// Where the CLI keeps a rollover's memory between runs: one small JSON file per domain, written
// to a temporary file and renamed over the old one, so a process killed mid-write leaves either
// the old memory or the new one, never half of each.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RolloverMemory } from './rollover.ts';

export class RolloverStateError extends Error {
  override name = 'RolloverStateError';
}

export function defaultStateFile(domain: string): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'keywatch', 'rollover', `${domain.toLowerCase().replace(/[^a-z0-9.-]/g, '_')}.json`);
}

function isMemory(x: unknown): x is RolloverMemory {
  const m = x as RolloverMemory;
  return (
    typeof m === 'object' && m !== null && typeof m.domain === 'string' && Array.isArray(m.next) && m.next.every((k) => typeof k === 'string') &&
    Array.isArray(m.old) && typeof m.owners === 'object' && m.owners !== null && typeof m.startedAt === 'number'
  );
}

export function loadMemory(file: string): RolloverMemory | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RolloverStateError(`${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RolloverStateError(`${file} is not valid JSON; move it away (or use --forget) to start the rollover memory afresh`);
  }
  if (!isMemory(parsed)) throw new RolloverStateError(`${file} is not a keywatch rollover memory; move it away (or use --forget)`);
  return parsed;
}

export function saveMemory(file: string, memory: RolloverMemory): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(memory, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function forgetMemory(file: string): void {
  rmSync(file, { force: true });
}
