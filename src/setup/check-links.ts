// The setup assistant's answers attached to a check's findings, so the report says exactly what
// to do: for a zone without a chain of trust, which case it is (unsigned, signed without a DS,
// …) with the DS to hand the registrar when the zone is signed already; for TLSA findings, the
// command that prints the whole RRset for every endpoint and the one that walks a key change.
import type { ServiceKind } from '../audit/discover.ts';
import type { Finding } from '../audit/finding.ts';
import type { Validator } from '../dns/dnssec/validator.ts';
import { dnssecReadiness } from './dnssec-readiness.ts';

const TLSA_CODES = new Set(['dane.tlsa-missing', 'xmpp.s2s-dane-missing', 'dane.tlsa-stale', 'dane.key-type-unpublished', 'tlsa.no-rollover-cover', 'tlsa.cert-pin-fragile', 'dane.tlsa-mismatch']);

export async function linkSetupAdvice(findings: Finding[], validator: Validator, domain: string, service: ServiceKind): Promise<void> {
  const cmd = `keywatch records ${domain}${service === 'xmpp' ? '' : ` --service ${service}`}`;
  await Promise.all(
    findings
      .filter((f) => f.code === 'dnssec.unsigned')
      .map(async (f) => {
        const zone = (f.evidence as { zone?: string } | undefined)?.zone;
        if (!zone) return;
        const r = await dnssecReadiness(validator, zone);
        f.evidence = { ...(f.evidence as object), readiness: r.state, readinessZone: r.zone };
        if (r.state === 'signed-no-ds' && r.selfSigned) {
          f.title = `${zone} is signed, but its parent publishes no DS for it, so DANE cannot protect the endpoints it names`;
        }
        if (r.action) f.remediation = `${r.action.replaceAll('keywatch records', cmd)}\n${cmd} also prints the TLSA records to publish once the chain of trust is in place.`;
      }),
  );
  for (const f of findings) {
    if (!TLSA_CODES.has(f.code)) continue;
    const more = `${cmd} prints the complete TLSA RRset for every endpoint (every key type, the issuer's 2 1 1) against what is published; keywatch rollover ${domain} --next-key FILE walks a key change without breaking DANE.`;
    f.remediation = f.remediation ? `${f.remediation}\n${more}` : more;
  }
}
