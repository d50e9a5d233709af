// The rollover plan as text: the five steps with where the domain stands, whether the next
// action is safe now and why, the records to add or remove, and per-owner detail when owners
// are at different steps.
import { safe } from '../audit/terminal-text.ts';
import { formatDuration, STEP_ORDER, type RolloverPlan, type RolloverStep } from './rollover.ts';

const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);

const TITLES: Record<Exclude<RolloverStep, 'done'>, string> = {
  publish: "publish the next key's TLSA record beside the current one",
  'wait-after-publish': 'wait two TTLs, until no cache holds the RRset without it',
  swap: 'deploy the new certificate',
  'wait-after-swap': 'wait two TTLs after the swap',
  withdraw: "withdraw the old key's record",
};

export function renderRollover(plan: RolloverPlan, opts: { now: number; nextLabels: string[] }): string {
  const out: string[] = [];
  out.push(`keywatch rollover ${plan.domain}`);
  out.push(`  next key${plan.next.length > 1 ? 's' : ''}: ${opts.nextLabels.map(safe).join('; ')}`);
  out.push('');
  const at = STEP_ORDER.indexOf(plan.step);
  (Object.keys(TITLES) as Array<keyof typeof TITLES>).forEach((step, i) => {
    const idx = STEP_ORDER.indexOf(step);
    const mark = plan.step === 'done' || idx < at ? 'done' : idx === at ? (plan.safe ? 'NOW' : 'WAIT') : '';
    let note = '';
    if (idx === at && plan.waitMs !== undefined) note = ` — not yet safe: ${formatDuration(plan.waitMs)} left (until ${new Date(plan.safeAt!).toISOString()})`;
    out.push(`  ${mark.padEnd(5)} ${i + 1}. ${TITLES[step]}${note}`);
  });
  out.push('');
  if (plan.step === 'done') out.push('The rollover is complete: only the new key is served and published.');
  for (const p of plan.problems) out.push(`PROBLEM ${safe(p)}`);
  const distinct = new Set(plan.owners.map((o) => `${o.step}|${o.safe}`));
  for (const o of plan.owners) {
    if (distinct.size > 1 || o === plan.owners[0]) out.push(`${distinct.size > 1 ? `${o.owner} (${o.step}): ` : ''}${safe(o.why)}`);
  }
  const add = plan.owners.flatMap((o) => o.add.map((r) => `${fqdn(o.owner)} ${o.ttl || 3600} IN TLSA ${r}`));
  const remove = plan.owners.flatMap((o) => o.remove.map((r) => `${fqdn(o.owner)} IN TLSA ${safe(r)}`));
  if (add.length) out.push('', 'Add to the zone (then sign and reload it):', ...add.map((l) => `  ${l}`));
  if (remove.length) out.push('', 'Remove from the zone (then sign and reload it):', ...remove.map((l) => `  ${l}`));
  if (plan.owners.length === 0) out.push('No endpoint was found: nothing to roll over.');
  const unreachable = plan.owners.flatMap((o) => o.unreachable);
  if (unreachable.length) out.push('', `Not reachable now (what they serve is unknown; check them before the next step): ${unreachable.map(safe).join(', ')}`);
  out.push('', 'Run this again after each change; keywatch remembers when it first saw each record and key.');
  return out.join('\n');
}
