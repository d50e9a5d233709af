// How a test file gets the lab: `const lab = useLab();` at the top of the file, then `lab()`
// inside tests. Under the test runner (scripts/run-tests.ts) every file shares the one lab the
// runner started; a file run on its own starts a private lab on another 127.N block and stops it
// when the file ends.
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { domainOf, mailDomainOf, startLab, type Lab, type LabDomain, type LabMailDomain, type LabState } from './lab.ts';
import type { MailScenarioName, ScenarioName } from './scenarios.ts';
import { run } from './procs.ts';

export interface LabHandle {
  state: LabState;
  domain(name: ScenarioName): LabDomain;
  /** A mail scenario: its MX hosts (SMTP on port 25), their two keys, TLSA records and maildirs. */
  mailDomain(name: MailScenarioName): LabMailDomain;
  /** After rewriting a zone file: nsd reloads, unbound forgets its cache. */
  reloadDns(): Promise<void>;
}

export async function reloadDns(state: LabState): Promise<void> {
  await run('nsd-control', ['-c', state.files.nsdConf, 'reload']);
  await run('unbound-control', ['-c', state.files.unboundConf, 'reload']);
}

export function useLab(): () => LabHandle {
  let handle: LabHandle | undefined;
  let own: Lab | undefined;
  before(
    async () => {
      const statePath = process.env.KEYWATCH_LAB_STATE;
      let state: LabState;
      if (statePath) {
        state = JSON.parse(readFileSync(statePath, 'utf8')) as LabState;
      } else {
        // A block of our own, away from the shared lab's default 127.53.
        own = await startLab({ net: 100 + (process.pid % 150) });
        state = own.state;
      }
      handle = { state, domain: (n) => domainOf(state, n), mailDomain: (n) => mailDomainOf(state, n), reloadDns: () => reloadDns(state) };
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await own?.stop();
  });
  return () => {
    if (!handle) throw new Error('the lab is not up: call useLab() at the top level of the test file');
    return handle;
  };
}
