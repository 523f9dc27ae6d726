import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  CONVERSATION_CATEGORIES,
  MESSAGE_DIRECTIONS,
  MESSAGE_STATUSES,
  PRICING_MODELS,
  ROLES,
  TEMPLATE_STATUSES,
  THREAD_STATUSES,
} from "../lib/domain";

export const roleEnum = pgEnum("role", ROLES);
export const threadStatusEnum = pgEnum("thread_status", THREAD_STATUSES);
export const directionEnum = pgEnum("message_direction", MESSAGE_DIRECTIONS);
export const messageStatusEnum = pgEnum("message_status", MESSAGE_STATUSES);
export const conversationCategoryEnum = pgEnum("conversation_category", CONVERSATION_CATEGORIES);
export const templateStatusEnum = pgEnum("template_status", TEMPLATE_STATUSES);
export const pricingModelEnum = pgEnum("pricing_model", PRICING_MODELS);

const tsz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => tsz("created_at").notNull().defaultNow();
const customBytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** One row: workspace-wide settings. */
export const workspaceSettings = pgTable("workspace_settings", {
  id: integer("id").primaryKey().default(1),
  name: text("name").notNull().default("Demo workspace"),
  pricingModel: pricingModelEnum("pricing_model").notNull().default("cbp"),
  timezone: text("timezone").notNull().default("America/Sao_Paulo"),
  onlyAssigneeMayReply: boolean("only_assignee_may_reply").notNull().default(false),
  stopWords: text("stop_words").array().notNull().default(sql`ARRAY['STOP','PARAR']::text[]`),
  updatedAt: tsz("updated_at").notNull().defaultNow(),
});

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  role: roleEnum("role").notNull().default("agent"),
  active: boolean("active").notNull().default(true),
  locale: text("locale").notNull().default("en"),
  timezone: text("timezone"),
  createdAt: createdAt(),
});

/** One inbox per WhatsApp business phone number. */
export const inboxes = pgTable("inboxes", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  phoneNumberId: text("phone_number_id").notNull().unique(),
  wabaId: text("waba_id").notNull(),
  displayNumber: text("display_number").notNull(),
  accessToken: text("access_token").notNull().default(""),
  createdAt: createdAt(),
});

export const inboxMembers = pgTable(
  "inbox_members",
  {
    inboxId: uuid("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.inboxId, t.userId] }), index("inbox_members_user_idx").on(t.userId)],
);

export const contacts = pgTable(
  "contacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    waId: text("wa_id").notNull().unique(),
    profileName: text("profile_name"),
    labels: text("labels").array().notNull().default(sql`ARRAY[]::text[]`),
    optedOutMarketing: boolean("opted_out_marketing").notNull().default(false),
    optedOutAt: tsz("opted_out_at"),
    createdAt: createdAt(),
  },
  (t) => [
    // Inbox search (`ilike '%q%'` on the name, `like '%digits%'` on the number): trigram indexes
    // answer a substring search of 3+ characters without reading every contact (pg_trgm, 0006).
    // `fastupdate` off: a GIN pending list is read in full by every search, and contacts are
    // written rarely enough that inserting straight into the index costs nothing that matters.
    index("contacts_profile_name_trgm_idx")
      .using("gin", t.profileName.op("gin_trgm_ops"))
      .with({ fastupdate: false }),
    index("contacts_wa_id_trgm_idx").using("gin", t.waId.op("gin_trgm_ops")).with({ fastupdate: false }),
  ],
);

export const threads = pgTable(
  "threads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    inboxId: uuid("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    status: threadStatusEnum("status").notNull().default("open"),
    snoozedUntil: tsz("snoozed_until"),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    /** Provider timestamp of the customer's latest message: the CSW runs 24h from here. */
    lastInboundAt: tsz("last_inbound_at"),
    lastMessageAt: tsz("last_message_at").notNull().defaultNow(),
    lastMessagePreview: text("last_message_preview"),
    unreadCount: integer("unread_count").notNull().default(0),
    /** The latest Click-to-WhatsApp / page CTA referral that brought the customer, and when. */
    referral: jsonb("referral"),
    referralAt: tsz("referral_at"),
    /** Denormalised from the engine so expiry timers and lists need no replay. */
    cswExpiresAt: tsz("csw_expires_at"),
    fepExpiresAt: tsz("fep_expires_at"),
    createdAt: createdAt(),
    updatedAt: tsz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("threads_inbox_contact_uq").on(t.inboxId, t.contactId),
    // The thread list orders by (last_message_at desc, id desc): with the id in the index a page
    // is an index range read (≈5 ms at 100,000 threads) instead of a sort of every match (≈60–150 ms).
    // `nullsFirst()` because that is what a plain `order by … desc` means: an index built
    // `desc nulls last` cannot serve it (the columns are not null, but the planner does not know).
    index("threads_inbox_status_activity_idx").on(
      t.inboxId,
      t.status,
      t.lastMessageAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("threads_assignee_activity_idx").on(
      t.assigneeId,
      t.lastMessageAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    // Lists across inboxes (supervisors, agents of several inboxes): read in order, filter.
    index("threads_activity_idx").on(t.lastMessageAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // Search finds contacts first (trigram index), then their threads; also serves the FK's cascade.
    index("threads_contact_idx").on(t.contactId),
    index("threads_csw_expiry_idx").on(t.cswExpiresAt),
    index("threads_fep_expiry_idx").on(t.fepExpiresAt),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    threadId: uuid("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    direction: directionEnum("direction").notNull(),
    /** Meta's message type (text, image, template, reaction, unsupported, ...) or `note`. */
    type: text("type").notNull(),
    body: text("body"),
    /** The type-specific object as Meta sent it (inbound) or as we sent it (outbound). */
    payload: jsonb("payload"),
    templateName: text("template_name"),
    templateLanguage: text("template_language"),
    templateCategory: text("template_category"),
    templateParams: jsonb("template_params"),
    mediaId: text("media_id"),
    mediaPath: text("media_path"),
    mediaMime: text("media_mime"),
    replyToWamid: text("reply_to_wamid"),
    wamid: text("wamid").unique(),
    status: messageStatusEnum("status").notNull(),
    senderUserId: uuid("sender_user_id").references(() => users.id, { onDelete: "set null" }),
    /** When the message happened: Meta's timestamp for inbound, our accept time for outbound. */
    at: tsz("at").notNull().defaultNow(),
    sentAt: tsz("sent_at"),
    deliveredAt: tsz("delivered_at"),
    readAt: tsz("read_at"),
    failedAt: tsz("failed_at"),
    errorCode: integer("error_code"),
    errorText: text("error_text"),
    /** Meta's own verdict from status webhooks, kept for reconciliation. */
    metaPricing: jsonb("meta_pricing"),
    metaConversation: jsonb("meta_conversation"),
    /** Our engine's verdict (recomputed when events or prices change). */
    costCategory: text("cost_category"),
    costType: text("cost_type"),
    costMicros: bigint("cost_micros", { mode: "number" }),
    /** Outbox bookkeeping for outbound messages. */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tsz("next_attempt_at"),
    lastError: text("last_error"),
    clientId: text("client_id"),
    campaignId: uuid("campaign_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("messages_thread_at_idx").on(t.threadId, t.at.desc()),
    index("messages_outbox_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    // Inbound media still to download: the worker polls it every second, so it must not scan messages.
    index("messages_media_pending_idx")
      .on(t.at)
      .where(sql`${t.direction} = 'inbound' and ${t.mediaId} is not null and ${t.mediaPath} is null`),
    uniqueIndex("messages_client_id_uq").on(t.clientId),
    // Inbox search over message text (`body ilike '%q%'`, reactions excluded, as the query says):
    // without it a search reads all 2M bodies (≈800 ms); with it, the few matching rows.
    // Inserts go to a GIN pending list that every search reads in full: at the default 4 MB limit
    // (≈4,000 bodies) that doubled a search (≈20 → 48 ms); 256 kB keeps it to a few ms, while
    // an insert stays ≈4× cheaper than with fastupdate off (measured 0.1 vs 0.3 ms a message).
    index("messages_body_trgm_idx")
      .using("gin", t.body.op("gin_trgm_ops"))
      .with({ gin_pending_list_limit: 256 })
      .where(sql`${t.type} <> 'reaction'`),
  ],
);

/** Every status Meta reported, keyed by wamid + status; also holds statuses that arrive before their message. */
export const messageStatuses = pgTable(
  "message_statuses",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    wamid: text("wamid").notNull(),
    status: text("status").notNull(),
    at: tsz("at").notNull(),
    payload: jsonb("payload").notNull(),
    applied: boolean("applied").notNull().default(false),
    receivedAt: tsz("received_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("message_statuses_wamid_status_uq").on(t.wamid, t.status)],
);

/** Billing conversations as our engine computes them (CBP); recomputed per contact when events change. */
export const billingConversations = pgTable(
  "billing_conversations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    inboxId: uuid("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    wabaId: text("waba_id").notNull(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    threadId: uuid("thread_id").references(() => threads.id, { onDelete: "cascade" }),
    category: conversationCategoryEnum("category").notNull(),
    openedAt: tsz("opened_at").notNull(),
    expiresAt: tsz("expires_at").notNull(),
    closedAt: tsz("closed_at"),
    costMicros: bigint("cost_micros", { mode: "number" }).notNull().default(0),
    currency: text("currency").notNull().default("USD"),
    /** Why it costs nothing, when it does not: free_tier, free_entry_point, free_price. */
    freeReason: text("free_reason"),
    openedByMessageId: uuid("opened_by_message_id"),
    openedByUserId: uuid("opened_by_user_id"),
    metaConversationId: text("meta_conversation_id"),
  },
  (t) => [
    index("billing_conv_opened_idx").on(t.openedAt),
    index("billing_conv_contact_idx").on(t.contactId, t.openedAt),
    index("billing_conv_inbox_opened_idx").on(t.inboxId, t.openedAt),
    // The monthly free tier ranks a WABA's service conversations by opening time.
    index("billing_conv_waba_cat_opened_idx").on(t.wabaId, t.category, t.openedAt),
    // "Open now" on the costs dashboard: conversations whose expiry is still ahead.
    index("billing_conv_expires_idx").on(t.expiresAt),
  ],
);

/**
 * Per-message billing as our engine computes it, one row per delivered outbound message: the
 * per-message (PMP) verdict and price, the conversation category it falls into under CBP, and
 * Meta's own verdict beside it for reconciliation. Derived data, rewritten per contact × WABA
 * whenever the contact's events change (lib/services/billing-recompute.ts).
 */
export const billingMessages = pgTable(
  "billing_messages",
  {
    messageId: uuid("message_id")
      .primaryKey()
      .references(() => messages.id, { onDelete: "cascade" }),
    inboxId: uuid("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    wabaId: text("waba_id").notNull(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    threadId: uuid("thread_id").notNull(),
    senderUserId: uuid("sender_user_id"),
    sentAt: tsz("sent_at").notNull(),
    /** The engine's delivery instant: what the message is billed at. */
    deliveredAt: tsz("delivered_at").notNull(),
    template: boolean("template").notNull(),
    /** marketing | utility | authentication | service (free-form). */
    category: text("category").notNull(),
    /** Category for the price lookup (e.g. marketing_lite). */
    pricingCategory: text("pricing_category").notNull(),
    /** regular | free_customer_service | free_entry_point */
    pmpType: text("pmp_type").notNull(),
    /** PMP price in micro-units of `currency`. */
    costMicros: bigint("cost_micros", { mode: "number" }).notNull().default(0),
    currency: text("currency").notNull().default("USD"),
    /** The conversation category this message falls into under CBP (free_entry_point inside an FEP). */
    cbpCategory: text("cbp_category"),
    /** Meta's verdict from status webhooks (pricing.*, conversation.*), copied for fast reads. */
    metaModel: text("meta_model"),
    metaCategory: text("meta_category"),
    metaType: text("meta_type"),
    metaBillable: boolean("meta_billable"),
    metaConversationId: text("meta_conversation_id"),
    metaOrigin: text("meta_origin"),
    /** Rule code when Meta's verdict disagrees with ours (null: agrees, or Meta reported nothing). */
    mismatch: text("mismatch"),
  },
  (t) => [
    index("billing_msg_delivered_idx").on(t.deliveredAt),
    index("billing_msg_contact_idx").on(t.contactId, t.wabaId),
    index("billing_msg_waba_delivered_idx").on(t.wabaId, t.deliveredAt),
    index("billing_msg_mismatch_idx").on(t.deliveredAt).where(sql`${t.mismatch} is not null`),
  ],
);

/**
 * Daily sums of the billing tables, per WABA × UTC day, so the costs dashboard reads a few
 * thousand rows for a month instead of every conversation and message. `model` cbp rows sum
 * billing_conversations (by opening day), pmp rows billing_messages (by delivery day, with Meta's
 * verdict). A day is rebuilt whole from the base tables after it is marked in billing_dirty_days;
 * until then the dashboard reads that day live (lib/services/billing-rollup.ts).
 */
export const billingRollup = pgTable(
  "billing_rollup",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    model: pricingModelEnum("model").notNull(),
    wabaId: text("waba_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    inboxId: uuid("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id"),
    category: text("category").notNull(),
    /** Why free: free_tier, free_entry_point, free_customer_service, free_price; null when billed. */
    reason: text("reason"),
    metaModel: text("meta_model"),
    metaCategory: text("meta_category"),
    metaType: text("meta_type"),
    metaBillable: boolean("meta_billable"),
    count: integer("count").notNull(),
    billable: integer("billable").notNull(),
    costMicros: bigint("cost_micros", { mode: "number" }).notNull(),
    /** pmp rows: messages whose Meta verdict disagrees with ours. */
    disagree: integer("disagree").notNull().default(0),
  },
  (t) => [
    index("billing_rollup_day_idx").on(t.day, t.model),
    index("billing_rollup_waba_day_idx").on(t.wabaId, t.day),
  ],
);

/** WABA × UTC days whose billing changed since their rollup was built (append-only; the rollup worker consumes it). */
export const billingDirtyDays = pgTable(
  "billing_dirty_days",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    wabaId: text("waba_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    at: tsz("at").notNull().defaultNow(),
  },
  (t) => [index("billing_dirty_days_day_idx").on(t.day)],
);

export const templates = pgTable(
  "templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    inboxId: uuid("inbox_id").references(() => inboxes.id, { onDelete: "cascade" }),
    wabaId: text("waba_id").notNull(),
    metaId: text("meta_id"),
    name: text("name").notNull(),
    language: text("language").notNull(),
    /** MARKETING | UTILITY | AUTHENTICATION as Meta spells it. */
    category: text("category").notNull(),
    status: templateStatusEnum("status").notNull().default("PENDING"),
    rejectedReason: text("rejected_reason"),
    qualityRating: text("quality_rating"),
    components: jsonb("components").notNull(),
    visibleToAgents: boolean("visible_to_agents").notNull().default(true),
    lastSyncedAt: tsz("last_synced_at"),
    deletedAt: tsz("deleted_at"),
    createdAt: createdAt(),
    updatedAt: tsz("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("templates_waba_name_lang_uq").on(t.wabaId, t.name, t.language)],
);

/** Price table: micro-units of `currency` per conversation (CBP) or per message (PMP). */
export const prices = pgTable(
  "prices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    model: pricingModelEnum("model").notNull().default("cbp"),
    category: text("category").notNull(),
    /** Country calling-code prefix of the customer's number, or null for every market. */
    market: text("market"),
    currency: text("currency").notNull().default("USD"),
    micros: bigint("micros", { mode: "number" }).notNull(),
    /** PMP volume tier: this price applies from this many messages a month on. */
    tierFromVolume: integer("tier_from_volume").notNull().default(0),
    effectiveFrom: tsz("effective_from").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("prices_lookup_idx").on(t.model, t.category, t.effectiveFrom)],
);

/** Append-only log of every webhook body we accepted (signature valid). */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    receivedAt: tsz("received_at").notNull().defaultNow(),
    phoneNumberIds: text("phone_number_ids").array().notNull().default(sql`ARRAY[]::text[]`),
    body: jsonb("body").notNull(),
    /** Set when the body names a phone_number_id no inbox has: shown to admins. */
    unknownNumber: boolean("unknown_number").notNull().default(false),
    note: text("note"),
  },
  (t) => [index("webhook_events_unknown_idx").on(t.unknownNumber)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: tsz("at").notNull().defaultNow(),
    actorUserId: uuid("actor_user_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    data: jsonb("data"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

export const apiKeys = pgTable("api_keys", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  keyHash: text("key_hash").notNull().unique(),
  createdByUserId: uuid("created_by_user_id"),
  createdAt: createdAt(),
  lastUsedAt: tsz("last_used_at"),
  revokedAt: tsz("revoked_at"),
});

export const cannedResponses = pgTable("canned_responses", {
  id: uuid("id").primaryKey().defaultRandom(),
  shortcut: text("shortcut").notNull().unique(),
  body: text("body").notNull(),
  createdAt: createdAt(),
});

export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ok: boolean("ok").notNull(),
    at: tsz("at").notNull().defaultNow(),
  },
  (t) => [index("login_attempts_email_at_idx").on(t.email, t.at)],
);

export const campaigns = pgTable("campaigns", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  inboxId: uuid("inbox_id")
    .notNull()
    .references(() => inboxes.id, { onDelete: "cascade" }),
  templateId: uuid("template_id")
    .notNull()
    .references(() => templates.id),
  status: text("status").notNull().default("draft"),
  scheduledAt: tsz("scheduled_at"),
  ratePerSecond: integer("rate_per_second").notNull().default(80),
  preview: jsonb("preview"),
  createdByUserId: uuid("created_by_user_id"),
  createdAt: createdAt(),
  startedAt: tsz("started_at"),
  finishedAt: tsz("finished_at"),
});

export const campaignRecipients = pgTable(
  "campaign_recipients",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id),
    waId: text("wa_id").notNull(),
    params: jsonb("params"),
    state: text("state").notNull().default("queued"),
    messageId: uuid("message_id"),
    error: text("error"),
  },
  (t) => [uniqueIndex("campaign_recipients_uq").on(t.campaignId, t.waId)],
);

/**
 * Payloads of Socket.IO broadcasts between app instances that are too large for a
 * NOTIFY (over 8,000 bytes) or binary: owned by `@socket.io/postgres-adapter`, which
 * inserts, reads and prunes them (its documented table).
 */
export const socketIoAttachments = pgTable("socket_io_attachments", {
  id: bigserial("id", { mode: "number" }).unique(),
  createdAt: tsz("created_at").defaultNow(),
  payload: customBytea("payload"),
});

/**
 * One row per window expiry announced: every instance holds a timer for expiries due
 * soon, and the first to insert the (thread, kind, instant) row announces it, so an
 * expiry reaches agents once however many instances run. Pruned after an hour.
 */
export const windowAnnouncements = pgTable(
  "window_announcements",
  {
    threadId: uuid("thread_id").notNull(),
    kind: text("kind").notNull(),
    expiresAt: tsz("expires_at").notNull(),
    announcedAt: tsz("announced_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.threadId, t.kind, t.expiresAt] }),
    index("window_announcements_at_idx").on(t.announcedAt),
  ],
);
