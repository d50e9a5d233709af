// Which notifier sends each channel. Notifiers are built from the configuration: the built-in
// ones (src/notify, by `notify.<channel>` settings) and extra modules (`notifierModules`, each
// default-exporting a NotifierFactory) — the way a site adds its own channel, and the way the
// tests plug in a recording notifier. One notifier per channel.
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Channel, DomainState, Notifier, SubscriptionCommands } from './contracts.ts';
import { ConfigError, type ServiceConfig } from './config.ts';
import type { Log } from './log.ts';

export interface NotifierContext {
  config: ServiceConfig;
  log: Log;
  /** For chat bots: what users may ask. */
  commands: SubscriptionCommands;
  /** The confirmed state of a watched domain (a PubSub node's first item, a bot's `status`). */
  state: (domain: string, service?: string) => Promise<DomainState | undefined>;
}

export type NotifierFactory = (options: Record<string, unknown>, ctx: NotifierContext) => Notifier | Promise<Notifier>;

/** The built-in notifier of a channel (src/notify), loaded only when configured. */
const builtin = (channel: Channel) => async (): Promise<NotifierFactory> => (await import('../notify/index.ts')).NOTIFIER_FACTORIES[channel];

/** The built-in notifiers, by channel: a loader of the factory in src/notify (docs/SERVICE.md, "Notifiers"). */
export const BUILTIN_NOTIFIERS: Partial<Record<Channel, () => Promise<NotifierFactory>>> = {
  email: builtin('email'),
  webhook: builtin('webhook'),
  xmpp: builtin('xmpp'),
  pubsub: builtin('pubsub'),
};

const isNotifier = (x: unknown): x is Notifier =>
  typeof x === 'object' && x !== null && typeof (x as Notifier).channel === 'string' && typeof (x as Notifier).send === 'function' && typeof (x as Notifier).close === 'function';

export async function loadNotifiers(config: ServiceConfig, ctx: NotifierContext): Promise<Map<Channel, Notifier>> {
  const out = new Map<Channel, Notifier>();
  const add = (n: unknown, where: string) => {
    if (!isNotifier(n)) throw new ConfigError(`${where}: did not produce a Notifier (channel, send, close)`);
    if (out.has(n.channel)) throw new ConfigError(`${where}: a notifier for channel ${n.channel} is configured twice`);
    out.set(n.channel, n);
  };
  for (const [channel, options] of Object.entries(config.notify) as Array<[Channel, Record<string, unknown>]>) {
    const loader = BUILTIN_NOTIFIERS[channel];
    if (!loader) throw new ConfigError(`notify.${channel}: keywatch has no built-in ${channel} notifier; use notifierModules`);
    let notifier: Notifier;
    try {
      notifier = await (await loader())(options, ctx);
    } catch (e) {
      // The notifiers validate their own settings; their errors name the field already.
      const text = e instanceof Error ? e.message : String(e);
      throw new ConfigError(text.startsWith('notify.') ? text : `notify.${channel}: ${text}`);
    }
    add(notifier, `notify.${channel}`);
  }
  const base = config.configFile ? dirname(config.configFile) : process.cwd();
  for (const [i, m] of config.notifierModules.entries()) {
    const where = `notifierModules[${i}] (${m.module})`;
    const path = isAbsolute(m.module) || m.module.startsWith('.') ? pathToFileURL(resolve(base, m.module)).href : m.module;
    let mod: { default?: unknown };
    try {
      mod = (await import(path)) as { default?: unknown };
    } catch (e) {
      throw new ConfigError(`${where}: cannot load: ${(e as Error).message}`);
    }
    if (typeof mod.default !== 'function') throw new ConfigError(`${where}: must default-export a function (options, context) => Notifier`);
    add(await (mod.default as NotifierFactory)(m.options, ctx), where);
  }
  return out;
}
