// Where the canary's password comes from: the environment (KEYWATCH_CANARY_PASSWORD) or a file
// (--canary-password-file), never the command line, where every user of the machine can read it
// (ps, /proc/PID/cmdline) and shells keep it in their history. Nothing here prints the password:
// errors name the variable or the file, never the value.
import { readFileSync, statSync } from 'node:fs';
import { CanaryConfigError, canaryUsername, type CanaryAccount } from './canary.ts';

export const CANARY_PASSWORD_ENV = 'KEYWATCH_CANARY_PASSWORD';
const MAX_PASSWORD_FILE = 4096;

export interface CanaryCliOptions {
  canary?: string;
  canaryPasswordFile?: string;
  canaryRequirePlus?: boolean;
}

/** The file's content without one trailing newline (what `echo secret > file` leaves). */
function passwordFromFile(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new CanaryConfigError(`cannot read the canary password file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_PASSWORD_FILE) throw new CanaryConfigError(`the canary password file ${file} is ${size} bytes long; a password file holds one line`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CanaryConfigError(`cannot read the canary password file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new CanaryConfigError(`the canary password file ${file} is empty`);
  if (/[\r\n]/.test(password)) throw new CanaryConfigError(`the canary password file ${file} has more than one line`);
  return password;
}

/**
 * The canary account from the command line and the environment, or undefined when --canary was
 * not given. Throws CanaryConfigError (a usage error) for anything inconsistent.
 */
export function canaryFromCli(o: CanaryCliOptions, env: NodeJS.ProcessEnv, domain: string, service: string): CanaryAccount | undefined {
  if (!o.canary) {
    if (o.canaryPasswordFile || o.canaryRequirePlus) throw new CanaryConfigError('--canary-password-file and --canary-require-plus need --canary JID');
    return undefined;
  }
  if (service !== 'xmpp') throw new CanaryConfigError(`--canary logs in to XMPP client endpoints; it does not apply to --service ${service}`);
  canaryUsername(o.canary, domain); // the JID's shape and domain, before any password handling
  const password = o.canaryPasswordFile ? passwordFromFile(o.canaryPasswordFile) : env[CANARY_PASSWORD_ENV];
  if (!password) {
    throw new CanaryConfigError(`--canary ${o.canary} needs the account's password in the environment variable ${CANARY_PASSWORD_ENV} or in a file given with --canary-password-file (never on the command line)`);
  }
  return { jid: o.canary, password, ...(o.canaryRequirePlus ? { requirePlus: true } : {}) };
}
