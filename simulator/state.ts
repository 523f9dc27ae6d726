/**
 * Everything the simulated Meta knows: business numbers and their accounts, templates, media,
 * every message in both directions with its statuses, and each (business number, customer)
 * pair's event history that the window engine reads. In memory; `reset()` forgets it all.
 * No I/O here: timers and webhooks live in simulator.ts.
 */
import { createHash } from "node:crypto";
import { DEMO_INBOXES, DEMO_TEMPLATES, DEMO_WABA_ID } from "../db/demo-data";
import type { EngineEvent } from "../lib/windows/engine";
import type { PricingModelName } from "./billing";
import type {
  MetaTemplateCategory,
  MetaTemplateStatus,
  RenderedTemplate,
  TemplateComponent,
} from "./template-rules";
import { templateVariables } from "./template-rules";

export type SimNumber = {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  verifiedName: string;
  /** Learned from a Graph path rather than registered: belongs to the default account. */
  learned: boolean;
};

export type SimTemplate = {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: MetaTemplateCategory;
  status: MetaTemplateStatus;
  rejectedReason: string | null;
  components: TemplateComponent[];
  parameterFormat: "POSITIONAL" | "NAMED";
  createdAt: number;
  updatedAt: number;
  /** When the template was edited while APPROVED (Meta limits those edits). */
  approvedEdits: number[];
};

export type SimMedia = {
  id: string;
  bytes: Buffer;
  mimeType: string;
  filename: string | null;
  sha256Hex: string;
  createdAt: number;
};

export type DeliveryStatusName = "sent" | "delivered" | "read" | "failed";

export type SentMessage = {
  wamid: string;
  phoneNumberId: string;
  to: string;
  type: string;
  /** The send request's body as the business posted it. */
  payload: Record<string, unknown>;
  at: number;
  apiVersion: number;
  /** biz_opaque_callback_data, else an Idempotency-Key header: what "the same message" means to tests. */
  idempotencyKey: string | null;
  bizOpaque: string | null;
  template: {
    id: string;
    name: string;
    language: string;
    category: MetaTemplateCategory;
    rendered: RenderedTemplate;
  } | null;
  statuses: Array<{ status: DeliveryStatusName; at: number }>;
};

export type InboundMessage = {
  wamid: string;
  phoneNumberId: string;
  from: string;
  name: string;
  type: string;
  /** The `messages[0]` object of the webhook. */
  message: Record<string, unknown>;
  at: number;
  /** HTTP status of the first webhook delivery attempt (0 = connection failed). */
  webhookStatus: number;
  readByBusiness: boolean;
};

/** A message Meta knew before this simulator started (loaded through the bootstrap). */
export type HistoryItem = {
  direction: "inbound" | "outbound";
  wamid: string;
  at: number;
  /** Meta message type: text, template, image, … */
  type: string;
  templateCategory?: string | null;
  referral?: object | null;
  text?: string | null;
  deliveredAt?: number | null;
  readAt?: number | null;
  failedAt?: number | null;
};

export type ContactRecord = {
  key: string;
  phoneNumberId: string;
  waId: string;
  name: string | null;
  events: EngineEvent[];
  history: HistoryItem[];
  /** Whether the bootstrap history has been loaded (once per pair). */
  loaded: boolean;
};

export type WebhookKind = "messages" | "statuses" | "message_template_status_update";

export type WebhookDelivery = {
  seq: number;
  kind: WebhookKind;
  /** wamid (messages/statuses) or template id. */
  ref: string;
  detail: string;
  body: string;
  signature: string;
  attempts: Array<{ at: number; status: number; error?: string }>;
  delivered: boolean;
  /** True while retries are still scheduled. */
  retrying: boolean;
};

export type OutageMode = "500" | "timeout" | "429" | "timeout_after_accept";
export type Outage = { mode: OutageMode; until: number; remaining: number | null };

export type SimulatorConfig = {
  pricingModel: PricingModelName;
  autoRead: boolean;
  statusDelayMs: number;
  approvalDelayMs: number;
};

export type SimNumberInput = {
  phone_number_id: string;
  waba_id: string;
  display_phone_number: string;
  verified_name?: string;
};

export type SimTemplateInput = {
  id?: string;
  waba_id?: string;
  name: string;
  language: string;
  category: MetaTemplateCategory;
  status?: MetaTemplateStatus;
  rejected_reason?: string | null;
  components: TemplateComponent[];
  parameter_format?: "POSITIONAL" | "NAMED";
};

/**
 * What the simulator may learn from outside when it starts (e.g. the app's database): the
 * numbers and templates Meta would already have, and a pair's earlier messages, so a restart
 * does not forget that a customer wrote an hour ago.
 */
export type SimulatorBootstrap = {
  numbers?: () => Promise<SimNumberInput[]>;
  templates?: () => Promise<SimTemplateInput[]>;
  history?: (phoneNumberId: string, waId: string) => Promise<HistoryItem[]>;
  pricingModel?: () => Promise<PricingModelName | null>;
};

/** Default display number for a learned phone number id: a 555 number from its last digits. */
function learnedDisplayNumber(phoneNumberId: string): string {
  return `1555${phoneNumberId.replace(/\D/g, "").slice(-7).padStart(7, "0")}`;
}

/** NAMED if any text uses `{{name}}` variables, else POSITIONAL (Meta's default). */
function inferParameterFormat(components: readonly TemplateComponent[]): "POSITIONAL" | "NAMED" {
  const named = components.some((c) =>
    templateVariables(typeof c.text === "string" ? c.text : undefined).some((v) => !/^\d+$/.test(v)),
  );
  return named ? "NAMED" : "POSITIONAL";
}

function defaultTemplates(now: number): SimTemplate[] {
  // Same ids the demo seed stores as templates.meta_id, so the app and the simulator agree.
  return DEMO_TEMPLATES.map((t, i) => ({
    id: String(900000000000000 + i),
    wabaId: DEMO_WABA_ID,
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    rejectedReason: t.rejectedReason ?? null,
    components: t.components as TemplateComponent[],
    parameterFormat: inferParameterFormat(t.components as TemplateComponent[]),
    createdAt: now,
    updatedAt: now,
    approvedEdits: [],
  }));
}

const MAX_WEBHOOK_LOG = 2000;

export class SimulatorState {
  readonly defaultWabaId = DEMO_WABA_ID;
  numbers = new Map<string, SimNumber>();
  templates = new Map<string, SimTemplate>();
  contacts = new Map<string, ContactRecord>();
  sent: SentMessage[] = [];
  sentById = new Map<string, SentMessage>();
  inbound: InboundMessage[] = [];
  inboundById = new Map<string, InboundMessage>();
  media = new Map<string, SimMedia>();
  webhooks: WebhookDelivery[] = [];
  outage: Outage | null = null;
  /** Customers whose phones never receive anything (sends end in a `failed` 131026 status). */
  undeliverable = new Set<string>();
  /** Accepted send POSTs per idempotency key: "each message was sent once" is `postsByKey` all 1. */
  postsByKey = new Map<string, number>();
  /** waba|name|language → when deleted: Meta blocks reusing a deleted name+language for 30 days. */
  deletedTemplates = new Map<string, number>();
  private webhookSeq = 0;
  // Ids keep growing across resets and restarts (seeded from the clock), like Meta's.
  private idCounter = Date.now() % 100_000_000_000;

  constructor(public config: SimulatorConfig) {
    this.reset();
  }

  /** Forget everything and go back to the built-in demo numbers and templates. */
  reset() {
    const now = Date.now();
    this.numbers.clear();
    for (const n of DEMO_INBOXES) {
      this.numbers.set(n.phoneNumberId, {
        phoneNumberId: n.phoneNumberId,
        wabaId: n.wabaId,
        displayPhoneNumber: n.displayNumber,
        verifiedName: n.name,
        learned: false,
      });
    }
    this.templates.clear();
    for (const t of defaultTemplates(now)) this.templates.set(t.id, t);
    this.contacts.clear();
    this.sent = [];
    this.sentById.clear();
    this.inbound = [];
    this.inboundById.clear();
    this.media.clear();
    this.webhooks = [];
    this.outage = null;
    this.undeliverable.clear();
    this.postsByKey.clear();
    this.deletedTemplates.clear();
  }

  /** A fresh numeric id (templates, media) that fits a JS number, like Meta's 15–16 digit ids. */
  newId(): string {
    this.idCounter += 1;
    return String(800_000_000_000_000 + this.idCounter);
  }

  registerNumber(input: SimNumberInput): SimNumber {
    const n: SimNumber = {
      phoneNumberId: input.phone_number_id,
      wabaId: input.waba_id,
      displayPhoneNumber: input.display_phone_number,
      verifiedName:
        input.verified_name ?? this.numbers.get(input.phone_number_id)?.verifiedName ?? "Business",
      learned: false,
    };
    this.numbers.set(n.phoneNumberId, n);
    return n;
  }

  /** The number for a Graph path id; an unknown one is learned into the default account. */
  numberFor(phoneNumberId: string): SimNumber {
    let n = this.numbers.get(phoneNumberId);
    if (!n) {
      n = {
        phoneNumberId,
        wabaId: this.defaultWabaId,
        displayPhoneNumber: learnedDisplayNumber(phoneNumberId),
        verifiedName: "Business",
        learned: true,
      };
      this.numbers.set(phoneNumberId, n);
    }
    return n;
  }

  /** Whether `id` names a business account (one of the numbers' accounts). */
  isWaba(id: string): boolean {
    if (id === this.defaultWabaId) return true;
    for (const n of this.numbers.values()) if (n.wabaId === id) return true;
    for (const t of this.templates.values()) if (t.wabaId === id) return true;
    return false;
  }

  addTemplate(input: SimTemplateInput): SimTemplate {
    const now = Date.now();
    const t: SimTemplate = {
      id: input.id ?? this.newId(),
      wabaId: input.waba_id ?? this.defaultWabaId,
      name: input.name,
      language: input.language,
      category: input.category,
      status: input.status ?? "PENDING",
      rejectedReason: input.rejected_reason ?? null,
      components: input.components,
      parameterFormat: input.parameter_format ?? inferParameterFormat(input.components),
      createdAt: now,
      updatedAt: now,
      approvedEdits: [],
    };
    this.templates.set(t.id, t);
    return t;
  }

  templatesOf(wabaId: string): SimTemplate[] {
    return [...this.templates.values()]
      .filter((t) => t.wabaId === wabaId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  findTemplate(wabaId: string, name: string, language: string): SimTemplate | undefined {
    return this.templatesOf(wabaId).find((t) => t.name === name && t.language === language);
  }

  contactKey(phoneNumberId: string, waId: string): string {
    return `${phoneNumberId}:${waId}`;
  }

  contact(phoneNumberId: string, waId: string): ContactRecord {
    const key = this.contactKey(phoneNumberId, waId);
    let c = this.contacts.get(key);
    if (!c) {
      c = { key, phoneNumberId, waId, name: null, events: [], history: [], loaded: false };
      this.contacts.set(key, c);
    }
    return c;
  }

  /** Merges a pair's earlier messages into its event history (ids already known are skipped). */
  applyHistory(c: ContactRecord, items: HistoryItem[]) {
    const known = new Set(c.events.map((e) => `${e.type}:${e.id}`));
    const add = (e: EngineEvent) => {
      const k = `${e.type}:${e.id}${e.type === "status" ? `:${e.status}` : ""}`;
      if (known.has(k)) return;
      known.add(k);
      c.events.push(e);
    };
    for (const h of items) {
      if (this.sentById.has(h.wamid) || this.inboundById.has(h.wamid)) continue;
      c.history.push(h);
      if (h.direction === "inbound") {
        add({ type: "inbound", at: h.at, id: h.wamid, referral: h.referral ?? undefined });
        continue;
      }
      add({ type: "outbound", at: h.at, id: h.wamid, kind: h.type, category: h.templateCategory ?? null });
      if (h.deliveredAt != null) add({ type: "status", at: h.deliveredAt, id: h.wamid, status: "delivered" });
      if (h.readAt != null) add({ type: "status", at: h.readAt, id: h.wamid, status: "read" });
      if (h.failedAt != null) add({ type: "status", at: h.failedAt, id: h.wamid, status: "failed" });
    }
    c.history.sort((a, b) => a.at - b.at);
  }

  recordInbound(m: InboundMessage, referral: object | null) {
    const c = this.contact(m.phoneNumberId, m.from);
    c.name = m.name;
    c.events.push({ type: "inbound", at: m.at, id: m.wamid, referral });
    this.inbound.push(m);
    this.inboundById.set(m.wamid, m);
  }

  recordSent(m: SentMessage) {
    const c = this.contact(m.phoneNumberId, m.to);
    c.events.push({
      type: "outbound",
      at: m.at,
      id: m.wamid,
      kind: m.type,
      category: m.template ? m.template.category.toLowerCase() : null,
    });
    this.sent.push(m);
    this.sentById.set(m.wamid, m);
    if (m.idempotencyKey !== null) {
      this.postsByKey.set(m.idempotencyKey, (this.postsByKey.get(m.idempotencyKey) ?? 0) + 1);
    }
  }

  /** Records a delivery status Meta reached for an outbound message. False if it was already recorded. */
  recordStatus(wamid: string, status: DeliveryStatusName, at: number): boolean {
    const m = this.sentById.get(wamid);
    if (!m) return false;
    if (m.statuses.some((s) => s.status === status)) return false;
    m.statuses.push({ status, at });
    this.contact(m.phoneNumberId, m.to).events.push({ type: "status", at, id: wamid, status });
    return true;
  }

  addMedia(bytes: Buffer, mimeType: string, filename: string | null): SimMedia {
    const m: SimMedia = {
      id: this.newId(),
      bytes,
      mimeType,
      filename,
      sha256Hex: createHash("sha256").update(bytes).digest("hex"),
      createdAt: Date.now(),
    };
    this.media.set(m.id, m);
    return m;
  }

  newWebhook(
    kind: WebhookKind,
    ref: string,
    detail: string,
    body: string,
    signature: string,
  ): WebhookDelivery {
    this.webhookSeq += 1;
    const w: WebhookDelivery = {
      seq: this.webhookSeq,
      kind,
      ref,
      detail,
      body,
      signature,
      attempts: [],
      delivered: false,
      retrying: false,
    };
    this.webhooks.push(w);
    if (this.webhooks.length > MAX_WEBHOOK_LOG)
      this.webhooks.splice(0, this.webhooks.length - MAX_WEBHOOK_LOG);
    return w;
  }

  /** Send POSTs whose idempotency key was accepted more than once. */
  duplicates(): Array<{ key: string; posts: number }> {
    return [...this.postsByKey.entries()].filter(([, n]) => n > 1).map(([key, posts]) => ({ key, posts }));
  }
}
