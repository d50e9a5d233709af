// The rollover planner walks the five steps with an injected clock: it must say "not yet safe"
// with the exact time left whenever a wait is skipped, flag a swap that came too early, and
// name the records to add and to remove.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatDuration, planRollover, type OwnerObservation, type RolloverMemory } from '../../../src/setup/rollover.ts';
import { loadMemory, RolloverStateError, saveMemory } from '../../../src/setup/rollover-state.ts';

const OLD = 'a'.repeat(64);
const NEXT = 'b'.repeat(64);
const TA = `2 1 1 ${'c'.repeat(64)}`;
const TTL = 300;
const T0 = Date.parse('2026-11-23T10:00:00Z');
const S = 1000;

function obs(records: string[], presented: string[], owner = '_5222._tcp.xmpp.example.org'): OwnerObservation {
  return { owner, endpoints: [`${owner.slice(10)}:5222`], published: { state: 'records', text: records, ttl: TTL }, presented, unreachable: [] };
}

/** Run the planner like successive CLI invocations: each call gets the previous memory. */
function walker() {
  let mem: RolloverMemory | undefined;
  return (observations: OwnerObservation[], now: number) => {
    const plan = planRollover('example.org', observations, [NEXT], mem, now);
    mem = plan.memory;
    return plan;
  };
}

describe('rollover planner', () => {
  it('walks publish → wait → swap → wait → withdraw → done, with the time left at every early look', () => {
    const step = walker();
    let p = step([obs([`3 1 1 ${OLD}`, TA], [OLD])], T0);
    assert.equal(p.step, 'publish');
    assert.equal(p.safe, true);
    assert.deepEqual(p.owners[0]!.add, [`3 1 1 ${NEXT}`]);
    assert.deepEqual(p.old, [OLD]);

    // The record appears: from now on, two TTLs (600 s) before the swap is safe.
    p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`, TA], [OLD])], T0 + 60 * S);
    assert.equal(p.step, 'wait-after-publish');
    assert.equal(p.safe, false);
    assert.equal(p.waitMs, 600 * S);
    assert.equal(p.safeAt, T0 + 660 * S);

    // One second before the end of the wait: still not safe, one second left.
    p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`, TA], [OLD])], T0 + 659 * S);
    assert.equal(p.step, 'wait-after-publish');
    assert.equal(p.waitMs, 1 * S);
    assert.match(p.owners[0]!.why, /two TTLs/);

    p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`, TA], [OLD])], T0 + 660 * S);
    assert.equal(p.step, 'swap');
    assert.equal(p.safe, true);
    assert.equal(p.problems.length, 0);

    // The certificate is swapped: the old record must stay two more TTLs.
    p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`, TA], [NEXT])], T0 + 700 * S);
    assert.equal(p.step, 'wait-after-swap');
    assert.equal(p.safe, false);
    assert.equal(p.waitMs, 600 * S);
    assert.deepEqual(p.owners[0]!.remove, []);

    p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`, TA], [NEXT])], T0 + 1300 * S);
    assert.equal(p.step, 'withdraw');
    assert.equal(p.safe, true);
    assert.deepEqual(p.owners[0]!.remove, [`3 1 1 ${OLD}`], 'only the old key record goes; the 2 1 1 stays');

    p = step([obs([`3 1 1 ${NEXT}`, TA], [NEXT])], T0 + 1400 * S);
    assert.equal(p.step, 'done');
    assert.equal(p.safe, true);
  });

  it('a swap before two TTLs have passed is a problem, not a step', () => {
    const step = walker();
    step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD])], T0);
    const p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [NEXT])], T0 + 100 * S);
    assert.equal(p.safe, false);
    assert.equal(p.problems.length, 1);
    assert.match(p.problems[0]!, /before two TTLs/);
  });

  it('the new key served with no record for it: DANE clients fail now, publish at once', () => {
    const p = walker()([obs([`3 1 1 ${OLD}`], [NEXT])], T0);
    assert.equal(p.step, 'publish');
    assert.equal(p.problems.length, 1);
    assert.deepEqual(p.owners[0]!.add, [`3 1 1 ${NEXT}`]);
  });

  it('a partial swap (one endpoint still on the old key) stays at the swap step, old record kept', () => {
    const step = walker();
    step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD, OLD])], T0);
    const p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [NEXT, OLD])], T0 + 700 * S);
    assert.equal(p.step, 'swap');
    assert.deepEqual(p.owners[0]!.remove, []);
    assert.match(p.owners[0]!.why, /part of the endpoints/);
  });

  it('the slowest owner decides, and the wait shown is the longest', () => {
    const step = walker();
    const a = '_5222._tcp.xmpp.example.org';
    const b = '_5269._tcp.xmpp.example.org';
    step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD], a), obs([`3 1 1 ${OLD}`], [OLD], b)], T0);
    const p = step([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD], a), obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD], b)], T0 + 300 * S);
    assert.equal(p.step, 'wait-after-publish');
    assert.equal(p.waitMs, 600 * S, '5269 was first seen with the record only now');
  });

  it('record and new key first seen together (keywatch was not watching): wait, but no alarm', () => {
    const p = walker()([obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [NEXT])], T0);
    assert.equal(p.step, 'wait-after-swap');
    assert.equal(p.problems.length, 0);
    assert.equal(p.waitMs, 600 * S);
  });

  it('a bogus or unsigned TLSA RRset blocks every step', () => {
    const bogus: OwnerObservation = { ...obs([], [OLD]), published: { state: 'bogus' } };
    const p = walker()([bogus], T0);
    assert.equal(p.safe, false);
    assert.match(p.problems[0]!, /cannot be validated/);
    const insecure: OwnerObservation = { ...obs([], [OLD]), published: { state: 'insecure', text: [`3 1 1 ${OLD}`] } };
    assert.match(walker()([insecure], T0).problems[0]!, /not DNSSEC-signed/);
  });

  it('a different next key starts a new memory', () => {
    const first = planRollover('example.org', [obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD])], [NEXT], undefined, T0);
    const other = 'd'.repeat(64);
    const p = planRollover('example.org', [obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD])], [other], first.memory, T0 + 1000 * S);
    assert.equal(p.step, 'publish');
    assert.deepEqual(p.memory.next, [other]);
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(1 * S), '1 s');
    assert.equal(formatDuration(432 * S), '7 min 12 s');
    assert.equal(formatDuration(2 * 3600 * S + 60 * S), '2 h 1 min');
  });
});

describe('rollover memory file', () => {
  it('round-trips, and refuses a damaged file with a clear error instead of starting over silently', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keywatch-rollover-'));
    try {
      const file = join(dir, 'sub', 'example.org.json');
      assert.equal(loadMemory(file), undefined);
      const { memory } = planRollover('example.org', [obs([`3 1 1 ${OLD}`, `3 1 1 ${NEXT}`], [OLD])], [NEXT], undefined, T0);
      saveMemory(file, memory);
      assert.deepEqual(loadMemory(file), memory);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /tmp/);
      writeFileSync(file, '{"domain": "example.org", "next": [');
      assert.throws(() => loadMemory(file), RolloverStateError);
      writeFileSync(file, '{"hello": 1}');
      assert.throws(() => loadMemory(file), /not a keywatch rollover memory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
