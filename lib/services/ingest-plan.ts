import {
  type InboundContent,
  type InboundMessageBase,
  type MessageStatusItem,
  type ParsedWebhook,
  parseInboundMessage,
  parseStatus,
  type Referral,
  type TemplateStatusValue,
  webhookContactSchema,
} from "../whatsapp/webhook-schemas";

/**
 * The pure half of webhook ingestion: from a parsed body and the inboxes its
 * phone_number_ids belong to, decide which rows to write. No I/O, so every
 * payload shape can be checked without a database.
 */

export type InboxRef = { id: string; phoneNumberId: string; wabaId: string };

/** One inbound message, as the messages row it becomes. */
export type PlannedMessage = {
  inboxId: string;
  waId: string;
  wamid: string;
  at: Date;
  /** Meta's type, or `unsupported` when its object was malformed. */
  type: string;
  body: string;
  payload: Record<string, unknown>;
  mediaId: string | null;
  mediaMime: string | null;
  replyToWamid: string | null;
  referral: Referral | null;
  /** Text the customer typed or tapped, compared with the workspace's stop words. */
  optOutCandidate: string | null;
};

export type PlannedStatus = {
  wamid: string;
  status: string;
  at: Date;
  item: MessageStatusItem;
  raw: unknown;
};

export type PlannedTemplateUpdate = { wabaId: string; value: TemplateStatusValue };

export type IngestPlan = {
  /** wa_id → profile name (null when the body named none). */
  contacts: Map<string, string | null>;
  messages: PlannedMessage[];
  statuses: PlannedStatus[];
  templateUpdates: PlannedTemplateUpdate[];
  unknownPhoneNumberIds: string[];
  /** Why parts of the body were not stored: written to webhook_events.note and logged. */
  notes: string[];
};

/** One key per (wamid, status) pair: a status is stored once per message and status. */
export const statusKey = (wamid: string, status: string) => `${wamid}\u0000${status}`;

export const UNSUPPORTED_BODY = "unsupported message";
const MEDIA_KINDS = new Set(["image", "audio", "video", "document", "sticker"]);

/** Builds the write plan for a parsed body. Items sharing a wamid (or wamid+status) keep the first. */
export function planIngest(webhook: ParsedWebhook, inboxes: InboxRef[]): IngestPlan {
  const byPhone = new Map(inboxes.map((i) => [i.phoneNumberId, i]));
  const plan: IngestPlan = {
    contacts: new Map(),
    messages: [],
    statuses: [],
    templateUpdates: webhook.templateUpdates.map((t) => ({ wabaId: t.wabaId, value: t.value })),
    unknownPhoneNumberIds: [],
    notes: [],
  };
  const seenMessages = new Set<string>();
  const seenStatuses = new Set<string>();

  for (const { value } of webhook.messages) {
    const phoneNumberId = value.metadata.phone_number_id;
    const inbox = byPhone.get(phoneNumberId);
    if (!inbox) {
      if (!plan.unknownPhoneNumberIds.includes(phoneNumberId)) plan.unknownPhoneNumberIds.push(phoneNumberId);
      continue;
    }
    if (value.errors?.length)
      plan.notes.push(`value errors for ${phoneNumberId}: ${JSON.stringify(value.errors)}`);

    const names = new Map<string, string | null>();
    for (const c of value.contacts ?? []) {
      const r = webhookContactSchema.safeParse(c);
      if (r.success) names.set(r.data.wa_id, r.data.profile?.name ?? null);
    }

    (value.messages ?? []).forEach((item, i) => {
      const parsed = parseInboundMessage(item);
      if (!parsed.ok) {
        plan.notes.push(`message ${i} skipped (${parsed.issues})`);
        return;
      }
      const { base } = parsed;
      if (seenMessages.has(base.id)) return;
      seenMessages.add(base.id);
      // A lone contact entry names the sender even if Meta normalised its number differently.
      const name = names.get(base.from) ?? (names.size === 1 ? [...names.values()][0] : null);
      if (!plan.contacts.has(base.from) || (name && !plan.contacts.get(base.from)))
        plan.contacts.set(base.from, name);
      plan.messages.push(planMessage(inbox.id, parsed.base, parsed.content, parsed.raw));
    });

    (value.statuses ?? []).forEach((item, i) => {
      const parsed = parseStatus(item);
      if (!parsed.ok) {
        plan.notes.push(`status ${i} skipped (${parsed.issues})`);
        return;
      }
      const s = parsed.status;
      const key = statusKey(s.id, s.status);
      if (seenStatuses.has(key)) return;
      seenStatuses.add(key);
      plan.statuses.push({ wamid: s.id, status: s.status, at: s.timestamp, item: s, raw: parsed.raw });
    });
  }
  return plan;
}

function planMessage(
  inboxId: string,
  base: InboundMessageBase,
  content: InboundContent,
  raw: Record<string, unknown>,
): PlannedMessage {
  const extras: Record<string, unknown> = {};
  // The window engine reads `payload.referral` to find free-entry-point messages.
  if (base.referral) extras.referral = base.referral;
  if (base.context) extras.context = base.context;
  if (base.errors?.length) extras.errors = base.errors;

  let payload: Record<string, unknown>;
  let type: string;
  if (content.kind === "unsupported") {
    // Kept whole so a newer version can render it; never dropped.
    type = content.reason === "invalid_content" ? "unsupported" : content.originalType;
    payload = { ...extras, reason: content.reason, originalType: content.originalType, raw };
    if (content.issues) payload.issues = content.issues;
  } else {
    type = content.kind;
    payload = Array.isArray(content.data)
      ? { [content.kind]: content.data, ...extras }
      : { ...(content.data as Record<string, unknown>), ...extras };
  }

  let mediaId: string | null = null;
  let mediaMime: string | null = null;
  if (MEDIA_KINDS.has(content.kind) && content.kind !== "unsupported") {
    const media = content.data as { id: string; mime_type?: string };
    mediaId = media.id;
    mediaMime = media.mime_type ?? null;
  }

  let replyToWamid = base.context?.id ?? null;
  if (!replyToWamid && content.kind === "reaction") replyToWamid = content.data.message_id;

  return {
    inboxId,
    waId: base.from,
    wamid: base.id,
    at: base.timestamp,
    type,
    body: summarizeContent(content),
    payload,
    mediaId,
    mediaMime,
    replyToWamid,
    referral: base.referral ?? null,
    optOutCandidate:
      content.kind === "text" ? content.data.body : content.kind === "button" ? content.data.text : null,
  };
}

/** The text a message row shows (and the thread preview): the text, the caption, or a short summary. */
export function summarizeContent(content: InboundContent): string {
  switch (content.kind) {
    case "text":
      return content.data.body;
    case "image":
      return content.data.caption || "Photo";
    case "video":
      return content.data.caption || "Video";
    case "audio":
      return content.data.voice ? "Voice message" : "Audio";
    case "document":
      return (
        content.data.caption || (content.data.filename ? `Document: ${content.data.filename}` : "Document")
      );
    case "sticker":
      return "Sticker";
    case "location": {
      const d = content.data;
      const label = [d.name, d.address].filter(Boolean).join(", ");
      return `Location: ${label || `${d.latitude}, ${d.longitude}`}`;
    }
    case "contacts": {
      const names = content.data.map((c) => c.name?.formatted_name || c.phones?.[0]?.phone || "contact");
      return names.length === 1 ? `Contact: ${names[0]}` : `${names.length} contacts: ${names.join(", ")}`;
    }
    case "interactive": {
      const d = content.data;
      if (d.button_reply) return d.button_reply.title;
      if (d.list_reply) return d.list_reply.title;
      if (d.nfm_reply) return d.nfm_reply.body || "Form response";
      return "Interactive reply";
    }
    case "button":
      return content.data.text;
    case "reaction":
      return content.data.emoji ? `Reacted ${content.data.emoji}` : "Removed a reaction";
    case "order": {
      const n = content.data.product_items?.length ?? 0;
      const head = `Order: ${n} item${n === 1 ? "" : "s"}`;
      return content.data.text ? `${head} — ${content.data.text}` : head;
    }
    case "system":
      return content.data.body || "System message";
    case "unsupported":
      return UNSUPPORTED_BODY;
  }
}

/** Whether `text` is one of the stop words (trimmed, case-insensitive). */
export function isStopWord(text: string | null, stopWords: readonly string[]): boolean {
  if (!text) return false;
  const t = text.trim().toLocaleLowerCase();
  return t.length > 0 && stopWords.some((w) => w.trim().toLocaleLowerCase() === t);
}

/** Thread list preview: one line, at most 140 characters. */
export function previewOf(body: string): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/**
 * Several bodies' plans as one, for a transaction that stores them together,
 * with which body each row came from so every body gets its own answer. A wamid
 * (or wamid + status) named by several bodies belongs to the first of them; to
 * the others it is a redelivery. `notes` and `unknownPhoneNumberIds` stay with
 * each body's own plan.
 */
export type BatchPlan = {
  merged: IngestPlan;
  /** wamid → index of the body whose message row it is. */
  messageOwner: Map<string, number>;
  /** statusKey(wamid, status) → index of the body that reported it first. */
  statusOwner: Map<string, number>;
  /** Index of the body each merged template update came from. */
  templateOwner: number[];
};

export function mergePlans(plans: readonly IngestPlan[]): BatchPlan {
  const merged: IngestPlan = {
    contacts: new Map(),
    messages: [],
    statuses: [],
    templateUpdates: [],
    unknownPhoneNumberIds: [],
    notes: [],
  };
  const messageOwner = new Map<string, number>();
  const statusOwner = new Map<string, number>();
  const templateOwner: number[] = [];
  plans.forEach((plan, i) => {
    for (const [waId, name] of plan.contacts)
      if (!merged.contacts.has(waId) || (name && !merged.contacts.get(waId))) merged.contacts.set(waId, name);
    for (const m of plan.messages) {
      if (messageOwner.has(m.wamid)) continue;
      messageOwner.set(m.wamid, i);
      merged.messages.push(m);
    }
    for (const s of plan.statuses) {
      const key = statusKey(s.wamid, s.status);
      if (statusOwner.has(key)) continue;
      statusOwner.set(key, i);
      merged.statuses.push(s);
    }
    for (const t of plan.templateUpdates) {
      merged.templateUpdates.push(t);
      templateOwner.push(i);
    }
  });
  return { merged, messageOwner, statusOwner, templateOwner };
}
