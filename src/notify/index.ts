// The notifiers keywatch ships, built from the `notify` settings in one call:
//
//   const set = await buildNotifiers(parseNotifyConfig(config.notify, { baseDir }), { commands, log });
//   set.notifiers.get('email')?.send(delivery);   // …
//   await set.close();
//
// and, for the service's per-channel loader (src/service/notifiers.ts), one factory per channel
// with the signature (options, context) => Notifier. The XMPP chat and PubSub notifiers share
// one bot connection whichever way they are built.
import { dirname } from 'node:path';
import type { Channel, Notifier, SubscriptionCommands } from '../service/contracts.ts';
import { NotifyConfigError, parseNotifyConfig, type NotifyConfig } from './config.ts';
import { EmailNotifier } from './email.ts';
import { silentLog, type NotifyLog } from './log.ts';
import { WebhookNotifier } from './webhook.ts';
import { XmppBot } from './xmpp.ts';

export { parseNotifyConfig, NotifyConfigError, type NotifyConfig, type NotifySettings } from './config.ts';
export { EmailNotifier, classifySmtpError, type EmailConfig } from './email.ts';
export { WebhookNotifier, webhookPayload, classifyHttpStatus, type WebhookConfig, type WebhookPayload } from './webhook.ts';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './webhook-signature.ts';
export { checkWebhookUrl, resolveWebhookTarget } from './webhook-target.ts';
export { nextAttemptDelay, parseRetryAfter, DELIVERY_BACKOFF, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.ts';
export { XmppBot, type XmppBotConfig } from './xmpp.ts';
export { pubsubNodeUri, parseStateElement, stateElement, STATE_NS } from './pubsub-state.ts';
export { helpText as xmppHelpText } from './xmpp-commands.ts';
export type { NotifyLog } from './log.ts';

export interface NotifierDeps {
  /** What the chat bot may ask of the service. */
  commands: SubscriptionCommands;
  log?: NotifyLog;
  /** Connect the bot at once (default true). */
  start?: boolean;
}

export interface NotifierSet {
  notifiers: Map<Channel, Notifier>;
  /** The XMPP bot, when `xmpp` is configured (for its JID, the PubSub service, waitOnline). */
  bot?: XmppBot;
  close(): Promise<void>;
}

export function buildNotifiers(config: NotifyConfig, deps: NotifierDeps): NotifierSet {
  const log = deps.log ?? silentLog;
  const notifiers = new Map<Channel, Notifier>();
  if (config.email) notifiers.set('email', new EmailNotifier(config.email, { log }));
  if (config.webhook) notifiers.set('webhook', new WebhookNotifier(config.webhook, { log }));
  let bot: XmppBot | undefined;
  if (config.xmpp) {
    bot = new XmppBot(config.xmpp, { commands: deps.commands, log });
    notifiers.set('xmpp', bot.chatNotifier());
    if (config.pubsub) notifiers.set('pubsub', bot.pubsubNotifier());
    if (deps.start ?? true) bot.start();
  }
  return {
    notifiers,
    ...(bot ? { bot } : {}),
    close: async () => {
      await Promise.all([...notifiers.values()].map((n) => n.close()));
    },
  };
}

// --- Per-channel factories for the service's loader ---------------------------------------------

/** The part of the service's NotifierContext these factories read (src/service/notifiers.ts). */
export interface FactoryContext {
  config?: { notify?: Record<string, unknown>; configFile?: string };
  log?: NotifyLog;
  commands: SubscriptionCommands;
}

export type ChannelFactory = (options: Record<string, unknown>, ctx: FactoryContext) => Promise<Notifier>;

const parseOptions = (ctx: FactoryContext) => (ctx.config?.configFile ? { baseDir: dirname(ctx.config.configFile) } : {});
const settingsOf = (ctx: FactoryContext, channel: Channel, options: Record<string, unknown>) => ({ ...(ctx.config?.notify ?? {}), [channel]: options });

/** One bot per service configuration, shared by the `xmpp` and `pubsub` factories. */
const bots = new WeakMap<object, XmppBot>();

function sharedBot(options: Record<string, unknown>, channel: 'xmpp' | 'pubsub', ctx: FactoryContext): XmppBot {
  const key = ctx.config ?? ctx;
  let bot = bots.get(key);
  if (!bot || bot.isStopped) {
    const cfg = parseNotifyConfig(settingsOf(ctx, channel, options), parseOptions(ctx));
    if (!cfg.xmpp) throw new NotifyConfigError('notify.pubsub: PubSub publishing uses the XMPP bot\'s account: configure notify.xmpp too');
    bot = new XmppBot(cfg.xmpp, { commands: ctx.commands, ...(ctx.log ? { log: ctx.log } : {}) });
    bot.start();
    bots.set(key, bot);
  }
  return bot;
}

// Factories return rejected promises (never throw), so a loader can await them uniformly.
export const emailNotifier: ChannelFactory = (options, ctx) =>
  Promise.resolve().then(() => {
    const cfg = parseNotifyConfig({ email: options }, parseOptions(ctx));
    return new EmailNotifier(cfg.email!, { ...(ctx.log ? { log: ctx.log } : {}) });
  });

export const webhookNotifier: ChannelFactory = (options, ctx) =>
  Promise.resolve().then(() => {
    const cfg = parseNotifyConfig({ webhook: options }, parseOptions(ctx));
    return new WebhookNotifier(cfg.webhook ?? {}, { ...(ctx.log ? { log: ctx.log } : {}) });
  });

export const xmppNotifier: ChannelFactory = (options, ctx) => Promise.resolve().then(() => sharedBot(options, 'xmpp', ctx).chatNotifier());

export const pubsubNotifier: ChannelFactory = (options, ctx) => Promise.resolve().then(() => sharedBot(options, 'pubsub', ctx).pubsubNotifier());

/** The factories by channel, for `BUILTIN_NOTIFIERS` in src/service/notifiers.ts. */
export const NOTIFIER_FACTORIES: Record<Channel, ChannelFactory> = {
  email: emailNotifier,
  webhook: webhookNotifier,
  xmpp: xmppNotifier,
  pubsub: pubsubNotifier,
};
