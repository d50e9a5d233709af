// `keywatch records DOMAIN`: the TLSA records to publish for every endpoint of a domain, and the
// DNSSEC steps that must come first, as a zone-file fragment, nsupdate commands or JSON.
import { Command, Option } from 'commander';
import { DEFAULT_TIMEOUT_MS } from '../../probe/probe.ts';
import { KeyMaterialError, loadKeyFile, type KeyMaterial } from '../../setup/key-material.ts';
import { runRecords, type RecordsReport } from '../../setup/records.ts';
import { renderRecords, type RecordsFormat } from '../../setup/render-records.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { addDnsOptions, addProbeOptions, asUsageErrors, domainArg, parseService, positiveInt, probeSettingsFrom, SERVICES, validatorFrom, type DnsCliOptions, type ProbeCliOptions } from '../options.ts';
import { progressPrinter } from '../progress.ts';

interface RecordsCliOptions extends DnsCliOptions, ProbeCliOptions {
  service: string;
  cert?: string[];
  key?: string[];
  nextKey?: string[];
  issuer: boolean;
  ttl?: string;
  format: RecordsFormat;
  json?: boolean;
  progress: boolean;
}

const repeatable = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function loadKeys(files: readonly string[] | undefined, option: string): KeyMaterial[] {
  try {
    return (files ?? []).flatMap((f) => loadKeyFile(f));
  } catch (e) {
    if (e instanceof KeyMaterialError) throw new UsageError(`${option} ${e.message}`);
    throw e;
  }
}

/** 0: everything is published and every zone secure; 1: records to add or DNSSEC to finish; 2: bogus. */
export function recordsExitCode(r: RecordsReport): ExitCode {
  if (r.dnssec.some((d) => d.state === 'bogus' || d.state === 'ds-mismatch') || r.owners.some((o) => o.publishedState === 'bogus')) return EXIT.critical;
  if (r.owners.length === 0 || r.dnssec.some((d) => d.state === 'unknown')) return EXIT.unknown;
  if (r.dnssec.some((d) => d.state !== 'secure') || r.owners.some((o) => o.records.some((x) => !x.published) || !o.dane.applies) || r.unseen.length) return EXIT.warning;
  return EXIT.ok;
}

export function recordsCommand(setExit: (code: ExitCode) => void): Command {
  const cmd = new Command('records')
    .summary('the TLSA records to publish, and the DNSSEC steps before them')
    .description(
      `Work out the DANE TLSA records DOMAIN should publish: for every endpoint its SRV or MX records name, the owner name clients look up (_PORT._tcp.HOST, RFC 7672 and RFC 7673), a 3 1 1 record for every key the endpoint serves (each key type: an RSA key beside an ECDSA one needs its own), a 2 1 1 record for the issuing CA as rollover cover, and with --next-key the next key's 3 1 1 to publish before the key changes. What is published now is compared: each line says ADD or published, and published records that match no key are listed for removal.

First comes the DNSSEC state of the zones involved — not signed, signed without a DS at the parent (with the DS to hand your registrar), DS mismatch, or secure — because TLSA records count only under a chain of trust.

Keys come from the live endpoints (probed as keywatch check does), or from --cert/--key files for keys not yet deployed. The output is a zone-file fragment (every explanation a ; comment, so it can be pasted as it is), nsupdate commands, or JSON.`,
    )
    .argument('<domain>', 'the domain users have in their addresses, e.g. example.org')
    .option('-s, --service <service>', `which endpoints: ${SERVICES.join(', ')}, or tls:HOST:PORT`, 'xmpp');
  return addProbeOptions(addDnsOptions(cmd), DEFAULT_TIMEOUT_MS)
    .addOption(new Option('--cert <pem>', 'the current certificate (chain: leaf first, then its issuer for 2 1 1), repeatable; no endpoint is probed').argParser(repeatable))
    .addOption(new Option('--key <pem>', 'a current key (public or private PEM; only the public half is read), repeatable; no endpoint is probed').argParser(repeatable))
    .addOption(new Option('--next-key <pem>', 'the key (or certificate) that will replace the current one, repeatable: its 3 1 1 goes in now').argParser(repeatable))
    .option('--no-issuer', 'leave out the issuing CA\'s 2 1 1 (when every next key is published ahead of time)')
    .option('--ttl <seconds>', 'TTL for the records (default: the published TLSA RRset\'s, else 3600)')
    .addOption(new Option('-f, --format <format>', 'zone (BIND/NSD zone-file lines), nsupdate, or json').choices(['zone', 'nsupdate', 'json']).default('zone'))
    .option('--json', 'the same as --format json (schema keywatch.records/1, docs/REPORT.md)')
    .option('--no-progress', 'no progress line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  keywatch records example.org                          records for the keys served now
  keywatch records example.org --service smtp           for every MX host (port 25)
  keywatch records example.org --cert fullchain.pem     from a certificate not yet deployed
  keywatch records example.org --next-key next.pem      publish the next key before the change
  keywatch records example.org -f nsupdate | nsupdate -k Kexample.org.key

Exit codes: 0 everything is published and the zones are secure, 1 records to add or DNSSEC to
finish, 2 a zone or TLSA RRset is bogus, 3 nothing to work on or bad usage.`,
    )
    .action(async (domainText: string, opts: RecordsCliOptions) => {
      const domain = domainArg(domainText, 'DOMAIN');
      const { service, tlsTarget } = parseService(opts.service);
      const format: RecordsFormat = opts.json ? 'json' : opts.format;
      const ttl = opts.ttl === undefined ? undefined : positiveInt(opts.ttl, '--ttl');
      if (ttl !== undefined && ttl > 2_147_483_647) throw new UsageError('--ttl must be at most 2147483647 (RFC 2181 §8)');
      const current = [...loadKeys(opts.cert, '--cert'), ...loadKeys(opts.key, '--key')];
      const next = loadKeys(opts.nextKey, '--next-key');
      const probing = probeSettingsFrom(opts);
      const validator = validatorFrom(opts);
      const progress = progressPrinter(opts.progress && current.length === 0 && process.stderr.isTTY === true);
      let report: RecordsReport;
      try {
        report = await asUsageErrors(() => runRecords({
          domain,
          service,
          ...(tlsTarget ? { tlsTarget } : {}),
          validator,
          current,
          next,
          issuer: opts.issuer,
          ...(ttl ? { ttl } : {}),
          check: probing,
          onProgress: progress.on,
        }));
      } finally {
        progress.clear();
      }
      process.stdout.write(`${renderRecords(report, format)}\n`);
      setExit(recordsExitCode(report));
    });
}
