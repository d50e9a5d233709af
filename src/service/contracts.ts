// Contracts between the parts of the watch service (issue 7), fixed first so they can be built
// side by side: the scheduler and alert policy (src/service) produce messages and deliveries,
// the notifiers (src/notify) send them, and the XMPP bot turns chat commands into subscription
// calls. Everything here is data or an interface; no part imports another's internals.
import type { Severity } from '../audit/finding.ts';
import type { Status } from '../audit/report.ts';

export type Channel = 'email' | 'xmpp' | 'webhook' | 'pubsub';

/** What a subscriber is told about a domain: the last confirmed state, small enough for a chat line or a PubSub item. */
export interface DomainState {
  domain: string;
  service: string;
  status: Status;
  /** One line, as in the check report. */
  summary: string;
  /** ISO 8601: when the observation behind this state was made. */
  checkedAt: string;
  /** Findings above info, worst first. */
  findings: Array<{ code: string; severity: Severity; title: string; endpoints: string[] }>;
  /** The key each endpoint presented (SPKI SHA-256), for "which key changed". */
  keys: Array<{ endpoint: string; spkiSha256: string }>;
  /** The domain's page on the service's web site. */
  url: string;
}

export type MessageKind = 'alert' | 'recovery' | 'confirm-subscription' | 'subscribed' | 'unsubscribed';

/** One message, rendered once for every channel. Texts are plain; server-supplied text in them is already escaped for its channel by the notifier, not here. */
export interface AlertMessage {
  kind: MessageKind;
  domain: string;
  /** For email subjects and chat first lines, e.g. "CRITICAL: example.org: key differs on path". */
  subject: string;
  /** Plain text body, lines ≤ 100 characters. */
  text: string;
  state?: DomainState;
  /** For alerts and recoveries: the status before the transition. */
  previousStatus?: Status;
  links: {
    page: string;
    /** One-click unsubscribe for this subscription (every message carries it). */
    unsubscribe: string;
    /** Double opt-in confirmation link, for `confirm-subscription`. */
    confirm?: string;
  };
}

export interface Delivery {
  /** Stable id: the notifier uses it as Message-ID / webhook delivery id, so a retry is recognisable. */
  id: string;
  channel: Channel;
  /** Email address, bare JID, webhook URL, or PubSub node name. */
  target: string;
  message: AlertMessage;
  /** 1 for the first try. */
  attempt: number;
  /** Webhooks: the subscription's HMAC-SHA256 key. */
  secret?: string;
}

export interface DeliveryResult {
  ok: boolean;
  /** Retrying cannot help (address rejected, URL gone): stop. */
  permanent?: boolean;
  error?: string;
  /** The receiver asked for a delay (HTTP Retry-After). */
  retryAfterMs?: number;
}

export interface Notifier {
  readonly channel: Channel;
  send(d: Delivery): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** What the XMPP chat bot (and any other command interface) may ask of the service. */
export interface SubscriptionCommands {
  subscribe(domain: string, channel: Channel, target: string): Promise<{ ok: boolean; message: string }>;
  unsubscribe(domain: string, channel: Channel, target: string): Promise<{ ok: boolean; message: string }>;
  status(domain: string): Promise<DomainState | undefined>;
  list(channel: Channel, target: string): Promise<string[]>;
}
