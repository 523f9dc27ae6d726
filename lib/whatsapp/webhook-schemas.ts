import { z } from "zod";

/**
 * Zod schemas for what Meta POSTs to the WhatsApp webhook (Cloud API, field
 * `messages` and `message_template_status_update`). Every object is loose: Meta
 * adds fields over time and we must not reject them.
 *
 * Where the line is drawn (see lib/services/ingest-webhook.ts):
 * - The **envelope** (object, entry[], changes[], a `messages` value's metadata
 *   and arrays, a template update's identity) is strict: if it does not parse,
 *   the whole body is refused with 400 and nothing is stored.
 * - An **item** inside a valid envelope is parsed on its own. A message whose
 *   type object does not match its schema is kept as `unsupported` with the raw
 *   item; a message or status without the fields that identify it (id, from,
 *   timestamp / id, status, timestamp) cannot be stored idempotently, so it is
 *   skipped with a log line — the raw body still lands in webhook_events.
 */

/** Meta's Unix timestamps (seconds) come as strings; numbers are accepted too. */
export const unixSecondsSchema = z
  .union([z.string().regex(/^\d{1,12}$/, "expected Unix seconds"), z.number().int().nonnegative()])
  .transform((v) => new Date(Number(v) * 1000));

const idString = z.union([z.string().min(1), z.number()]).transform(String);

/**
 * Identifiers we key unique indexes on (wamid, wa_id, status): Meta's are well under 100
 * characters. A far longer one is malformed — and would not fit a btree index entry
 * (≈2.7 kB), failing the whole body with a 500 that Meta retries for days.
 */
const META_ID_MAX = 256;
const metaId = z.string().min(1).max(META_ID_MAX);

export const metaErrorSchema = z.looseObject({
  code: z.coerce.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional().catch(undefined),
  href: z.string().optional(),
});
export type MetaError = z.infer<typeof metaErrorSchema>;

/** Errors are informative, never a reason to refuse: malformed entries are dropped from the list. */
const errorListSchema = z
  .array(z.unknown())
  .transform((list) =>
    list.flatMap((e) => {
      const r = metaErrorSchema.safeParse(e);
      return r.success ? [r.data] : [];
    }),
  )
  .optional()
  .catch(undefined);

// ---------------------------------------------------------------- message types

const mediaFields = {
  id: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  url: z.string().optional(),
};

export const textContentSchema = z.looseObject({ body: z.string() });
export const imageContentSchema = z.looseObject({ ...mediaFields, caption: z.string().optional() });
export const audioContentSchema = z.looseObject({ ...mediaFields, voice: z.boolean().optional() });
export const videoContentSchema = z.looseObject({ ...mediaFields, caption: z.string().optional() });
export const documentContentSchema = z.looseObject({
  ...mediaFields,
  caption: z.string().optional(),
  filename: z.string().optional(),
});
export const stickerContentSchema = z.looseObject({ ...mediaFields, animated: z.boolean().optional() });
export const locationContentSchema = z.looseObject({
  latitude: z.coerce.number(),
  longitude: z.coerce.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});
export const sharedContactSchema = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  phones: z
    .array(
      z.looseObject({
        phone: z.string().optional(),
        wa_id: z.string().optional(),
        type: z.string().optional(),
      }),
    )
    .optional(),
});
export const contactsContentSchema = z.array(sharedContactSchema).min(1);

const replyItem = z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() });
export const interactiveContentSchema = z
  .looseObject({
    type: z.string().min(1),
    button_reply: replyItem.optional(),
    list_reply: replyItem.optional(),
    /** WhatsApp Flows answer. */
    nfm_reply: z
      .looseObject({
        name: z.string().optional(),
        body: z.string().optional(),
        response_json: z.string().optional(),
      })
      .optional(),
  })
  .refine(
    (v) =>
      (v.type !== "button_reply" || v.button_reply !== undefined) &&
      (v.type !== "list_reply" || v.list_reply !== undefined),
    { message: "interactive reply object missing for its type" },
  );
/** A tap on a template's quick-reply button. */
export const buttonContentSchema = z.looseObject({ text: z.string(), payload: z.string().optional() });
/** `emoji` is absent (or empty) when the customer removes a reaction. */
export const reactionContentSchema = z.looseObject({
  message_id: z.string().min(1),
  emoji: z.string().optional(),
});
export const orderContentSchema = z.looseObject({
  catalog_id: z.string().optional(),
  text: z.string().optional(),
  product_items: z.array(z.looseObject({})).optional(),
});
/** E.g. the customer changed their number. */
export const systemContentSchema = z.looseObject({
  body: z.string().optional(),
  type: z.string().optional(),
  wa_id: z.string().optional(),
});

/** The message types we understand, each with the schema of its type object. */
export const MESSAGE_CONTENT_SCHEMAS = {
  text: textContentSchema,
  image: imageContentSchema,
  audio: audioContentSchema,
  video: videoContentSchema,
  document: documentContentSchema,
  sticker: stickerContentSchema,
  location: locationContentSchema,
  contacts: contactsContentSchema,
  interactive: interactiveContentSchema,
  button: buttonContentSchema,
  reaction: reactionContentSchema,
  order: orderContentSchema,
  system: systemContentSchema,
} as const;
export type KnownMessageType = keyof typeof MESSAGE_CONTENT_SCHEMAS;
export const KNOWN_MESSAGE_TYPES = Object.keys(MESSAGE_CONTENT_SCHEMAS) as KnownMessageType[];

export type InboundContent =
  | {
      [K in KnownMessageType]: { kind: K; data: z.infer<(typeof MESSAGE_CONTENT_SCHEMAS)[K]> };
    }[KnownMessageType]
  | {
      kind: "unsupported";
      /** The type Meta gave (`unsupported`, a type newer than this code, or a known type whose object was malformed). */
      originalType: string;
      reason: "unsupported" | "unknown_type" | "invalid_content";
      issues?: string;
    };

export const referralSchema = z.looseObject({
  source_url: z.string().optional(),
  source_id: z.string().optional(),
  source_type: z.string().optional(),
  headline: z.string().optional(),
  body: z.string().optional(),
  media_type: z.string().optional(),
  ctwa_clid: z.string().optional(),
});
export type Referral = z.infer<typeof referralSchema>;

export const contextSchema = z.looseObject({
  from: z.string().optional(),
  id: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
});

/** The fields every inbound message needs to be stored at all (identity, sender, time). */
export const inboundMessageBaseSchema = z.looseObject({
  id: metaId,
  from: metaId,
  timestamp: unixSecondsSchema,
  type: z.string().min(1).optional().catch(undefined),
  context: contextSchema.optional().catch(undefined),
  referral: referralSchema.optional().catch(undefined),
  errors: errorListSchema,
});
export type InboundMessageBase = z.infer<typeof inboundMessageBaseSchema>;

export type ParsedInboundMessage =
  | { ok: true; base: InboundMessageBase; content: InboundContent; raw: Record<string, unknown> }
  | { ok: false; issues: string; raw: unknown };

const issuesText = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");

/** Parses one item of `value.messages[]` (see the module comment for what fails and what degrades). */
export function parseInboundMessage(item: unknown): ParsedInboundMessage {
  const base = inboundMessageBaseSchema.safeParse(item);
  if (!base.success) return { ok: false, issues: issuesText(base.error), raw: item };
  const raw = item as Record<string, unknown>;
  const type = base.data.type ?? "unsupported";
  if (!(type in MESSAGE_CONTENT_SCHEMAS)) {
    const reason = type === "unsupported" ? "unsupported" : "unknown_type";
    return { ok: true, base: base.data, raw, content: { kind: "unsupported", originalType: type, reason } };
  }
  const schema = MESSAGE_CONTENT_SCHEMAS[type as KnownMessageType];
  const content = schema.safeParse(raw[type]);
  if (!content.success) {
    return {
      ok: true,
      base: base.data,
      raw,
      content: {
        kind: "unsupported",
        originalType: type,
        reason: "invalid_content",
        issues: issuesText(content.error),
      },
    };
  }
  return { ok: true, base: base.data, raw, content: { kind: type, data: content.data } as InboundContent };
}

// ---------------------------------------------------------------- statuses

export const STATUS_VALUES = ["sent", "delivered", "read", "failed"] as const;

export const conversationSchema = z.looseObject({
  id: z.string().optional(),
  expiration_timestamp: z.union([z.string(), z.number()]).optional(),
  origin: z.looseObject({ type: z.string().optional() }).optional(),
});
export const pricingSchema = z.looseObject({
  billable: z.boolean().optional(),
  pricing_model: z.string().optional(),
  category: z.string().optional(),
  type: z.string().optional(),
});

/** One item of `value.statuses[]`. `status` is free text: Meta also sends e.g. `deleted`, kept in history only. */
export const statusSchema = z.looseObject({
  id: metaId,
  status: metaId,
  timestamp: unixSecondsSchema,
  recipient_id: z.string().optional(),
  conversation: conversationSchema.optional().catch(undefined),
  pricing: pricingSchema.optional().catch(undefined),
  errors: errorListSchema,
  biz_opaque_callback_data: z.string().optional(),
});
export type MessageStatusItem = z.infer<typeof statusSchema>;

export type ParsedStatus =
  | { ok: true; status: MessageStatusItem; raw: Record<string, unknown> }
  | { ok: false; issues: string; raw: unknown };

export function parseStatus(item: unknown): ParsedStatus {
  const r = statusSchema.safeParse(item);
  return r.success
    ? { ok: true, status: r.data, raw: item as Record<string, unknown> }
    : { ok: false, issues: issuesText(r.error), raw: item };
}

// ---------------------------------------------------------------- change values

export const webhookContactSchema = z.looseObject({
  wa_id: metaId,
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

export const messagesValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z.looseObject({
    phone_number_id: idString,
    display_phone_number: z.string().optional(),
  }),
  /** Parsed one by one: a malformed contact only loses its profile name. */
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  /** Value-level (system) errors, e.g. 130429 throughput or 131000: logged and kept in webhook_events. */
  errors: z.array(z.unknown()).optional(),
});
export type MessagesValue = z.infer<typeof messagesValueSchema>;

export const templateStatusValueSchema = z.looseObject({
  event: z.string().min(1),
  message_template_id: idString.optional(),
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
  message_template_category: z.string().optional(),
  reason: z.string().nullable().optional(),
  other_info: z.looseObject({ title: z.string().optional(), description: z.string().optional() }).optional(),
});
export type TemplateStatusValue = z.infer<typeof templateStatusValueSchema>;

// ---------------------------------------------------------------- envelope

export const webhookEnvelopeSchema = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      /** The WhatsApp Business Account (WABA) id. */
      id: idString,
      time: z.number().optional(),
      changes: z.array(z.looseObject({ field: z.string().min(1), value: z.unknown() })),
    }),
  ),
});

export type ParsedWebhook = {
  messages: { wabaId: string; value: MessagesValue }[];
  templateUpdates: { wabaId: string; value: TemplateStatusValue }[];
  /** Fields we are subscribed to but do not act on (account_update, ...): kept in webhook_events only. */
  ignoredFields: string[];
  phoneNumberIds: string[];
};

export type WebhookParseResult = { ok: true; webhook: ParsedWebhook } | { ok: false; issues: string };

/**
 * Validates a JSON body as a WhatsApp Business Account webhook and splits it by
 * field. Fails (→ 400) only on the envelope; see the module comment.
 */
export function parseWebhookBody(json: unknown): WebhookParseResult {
  const env = webhookEnvelopeSchema.safeParse(json);
  if (!env.success) return { ok: false, issues: issuesText(env.error) };
  const out: ParsedWebhook = { messages: [], templateUpdates: [], ignoredFields: [], phoneNumberIds: [] };
  const problems: string[] = [];
  env.data.entry.forEach((entry, ei) => {
    entry.changes.forEach((change, ci) => {
      const at = `entry.${ei}.changes.${ci}.value`;
      if (change.field === "messages") {
        const v = messagesValueSchema.safeParse(change.value);
        if (!v.success) problems.push(`${at}: ${issuesText(v.error)}`);
        else {
          out.messages.push({ wabaId: entry.id, value: v.data });
          if (!out.phoneNumberIds.includes(v.data.metadata.phone_number_id)) {
            out.phoneNumberIds.push(v.data.metadata.phone_number_id);
          }
        }
      } else if (change.field === "message_template_status_update") {
        const v = templateStatusValueSchema.safeParse(change.value);
        if (!v.success) problems.push(`${at}: ${issuesText(v.error)}`);
        else out.templateUpdates.push({ wabaId: entry.id, value: v.data });
      } else if (!out.ignoredFields.includes(change.field)) {
        out.ignoredFields.push(change.field);
      }
    });
  });
  if (problems.length > 0) return { ok: false, issues: problems.join(" | ") };
  return { ok: true, webhook: out };
}
