/**
 * Business-initiated conversations: an agent picks an inbox (business number), a customer (a typed
 * number or an existing contact) and an approved template, sees what sending it will cost
 * according to the engine, and sends. The contact is upserted by wa_id, the thread is got or
 * created in that inbox and assigned to the sender, and the template goes through the one send
 * path (sendMessage → outbox), which emits the thread to every agent after its commit.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client";
import { auditLog, contacts, inboxes, messages, templates, threads, users } from "../../db/schema";
import { type SendEffect, templateSendPreview } from "../campaigns/preview";
import type { PricingModel, TemplateCategory } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";
import { normalizePhone } from "../phone";
import { buildTemplateSend, type StoredTemplateComponent } from "../whatsapp/template-params";
import { customerServiceWindow } from "../windows/csw";
import { normalizeTemplateCategory } from "../windows/engine";
import { type Actor, canAccessInbox } from "./access";
import { loadContactEvents, loadPriceTable, loadPricingModel } from "./contact-events";
import { type MessageRow, sendMessage } from "./send-message";

const paramValuesSchema = z.union([
  z.array(z.string().max(1024)),
  z.record(z.string(), z.string().max(1024)),
]);

/** Who the conversation is with: a typed number or an existing contact (exactly one). */
const targetShape = {
  inboxId: z.string().uuid("Choose an inbox."),
  phone: z.string().max(64).optional(),
  contactId: z.string().uuid().optional(),
};
const oneTarget = (v: { phone?: string; contactId?: string }) =>
  (v.phone !== undefined && v.phone.trim() !== "") !== (v.contactId !== undefined);
const oneTargetMessage = {
  message: "Type a phone number or choose a contact (one of them).",
  path: ["phone"],
};

export const startPreviewSchema = z
  .object({ ...targetShape, templateId: z.string().uuid().optional() })
  .refine(oneTarget, oneTargetMessage);
export type StartPreviewInput = z.input<typeof startPreviewSchema>;

export const startConversationSchema = z
  .object({
    ...targetShape,
    templateId: z.string().uuid("Choose a template."),
    params: paramValuesSchema.optional(),
    headerParams: paramValuesSchema.optional(),
    buttonParams: z
      .union([z.array(z.string().max(1024)), z.record(z.string(), z.string().max(1024))])
      .optional(),
    headerMedia: z
      .object({
        kind: z.enum(["image", "video", "document"]),
        link: z.string().url(),
        filename: z.string().max(200).optional(),
      })
      .optional(),
    /** Idempotency key: a double-clicked "Send" sends once. */
    clientId: z.string().min(8).max(100).optional(),
  })
  .refine(oneTarget, oneTargetMessage);
export type StartConversationInput = z.input<typeof startConversationSchema>;

/** The engine's effect of the send, with times as ISO strings for the UI. */
export type StartEffect =
  | { kind: "opens"; category: TemplateCategory; costMicros: number }
  | { kind: "inside_open"; category: TemplateCategory; openUntil: string; costMicros: 0 }
  | { kind: "free_entry_point"; until: string | null; costMicros: 0 }
  | { kind: "charged_message"; category: TemplateCategory; costMicros: number }
  | { kind: "free_customer_service"; category: TemplateCategory; until: string | null; costMicros: 0 };

export type StartPreview = {
  waId: string;
  contact: { id: string; profileName: string | null; optedOutMarketing: boolean } | null;
  /** The contact's existing thread in this inbox, if any. */
  thread: { id: string; status: string; assigneeId: string | null; assigneeName: string | null } | null;
  /** The customer service window with this business number: while open, a free-form reply is possible. */
  csw: { open: boolean; expiresAt: string | null };
  fep: { open: boolean; expiresAt: string | null };
  template: { id: string; name: string; language: string; category: TemplateCategory } | null;
  effect: StartEffect | null;
  model: PricingModel;
  currency: string;
  /** Set when the send would be refused (e.g. a marketing template to an opted-out contact). */
  blocked: { reason: "opted_out"; message: string } | null;
};

export type StartResult = {
  threadId: string;
  contactId: string;
  /** A new thread was created in the inbox (else the existing one was used). */
  createdThread: boolean;
  message: MessageRow;
};

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join(".") || null;
    log.info("conversation_start.invalid_input", { field, reason: issue?.message });
    throw new AppError("invalid_input", issue?.message ?? "Invalid input.", { field });
  }
  return r.data;
}

async function requireInbox(db: DbOrTx, actor: Actor, inboxId: string) {
  const [inbox] = await db
    .select({ id: inboxes.id, wabaId: inboxes.wabaId, name: inboxes.name })
    .from(inboxes)
    .where(eq(inboxes.id, inboxId));
  if (!inbox || !(await canAccessInbox(db, actor, inboxId))) {
    log.warn("conversation_start.inbox_denied", { userId: actor.id, inboxId });
    throw new AppError("forbidden", "You are not a member of this inbox.");
  }
  return inbox;
}

type Target = { waId: string; contact: typeof contacts.$inferSelect | null };

async function resolveTarget(db: DbOrTx, input: { phone?: string; contactId?: string }): Promise<Target> {
  if (input.contactId) {
    const [c] = await db.select().from(contacts).where(eq(contacts.id, input.contactId));
    if (!c) throw new AppError("not_found", "That contact does not exist.", { field: "contactId" });
    return { waId: c.waId, contact: c };
  }
  const phone = normalizePhone(input.phone);
  if (!phone.ok) {
    log.info("conversation_start.invalid_phone", { reason: phone.reason });
    throw new AppError("invalid_input", phone.message, { field: "phone", reason: phone.reason });
  }
  const [c] = await db.select().from(contacts).where(eq(contacts.waId, phone.waId));
  return { waId: phone.waId, contact: c ?? null };
}

type TemplateRow = typeof templates.$inferSelect;

/** An approved, live template of the inbox's account that `actor` may send. */
async function requireTemplate(db: DbOrTx, actor: Actor, wabaId: string, templateId: string) {
  const [t] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, templateId), eq(templates.wabaId, wabaId), isNull(templates.deletedAt)));
  if (!t) {
    throw new AppError(
      "template_not_approved",
      "This template does not exist for this inbox's WhatsApp account.",
      {
        field: "templateId",
      },
    );
  }
  if (t.status !== "APPROVED") {
    throw new AppError(
      "template_not_approved",
      `Template "${t.name}" is ${t.status.toLowerCase()}: only templates Meta approved can start a conversation.`,
      { field: "templateId", status: t.status },
    );
  }
  if (actor.role === "agent" && !t.visibleToAgents) {
    throw new AppError("template_not_approved", `Template "${t.name}" is not available to agents.`, {
      field: "templateId",
    });
  }
  return t;
}

function optedOutRefusal(template: TemplateRow, contact: Target["contact"]): string | null {
  if (!contact?.optedOutMarketing) return null;
  if (normalizeTemplateCategory(template.category) !== "marketing") return null;
  return "This contact opted out of marketing messages (they replied with a stop word). Choose a utility or authentication template.";
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toStartEffect(e: SendEffect): StartEffect {
  switch (e.kind) {
    case "inside_open":
      return { ...e, openUntil: new Date(e.openUntil).toISOString() };
    case "free_entry_point":
      return { ...e, until: iso(e.until) };
    case "free_customer_service":
      return { ...e, until: iso(e.until) };
    default:
      return e;
  }
}

/**
 * What starting a conversation would do, before anything is stored: who the number is, whether a
 * thread (and an open customer service window) already exists in this inbox, and — with a
 * template — the engine's verdict on its cost at `now`.
 */
export async function previewStartConversation(
  db: DbOrTx,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<StartPreview> {
  const args = parse(startPreviewSchema, input);
  const inbox = await requireInbox(db, actor, args.inboxId);
  const target = await resolveTarget(db, args);
  const template = args.templateId ? await requireTemplate(db, actor, inbox.wabaId, args.templateId) : null;

  const [thread] = target.contact
    ? await db
        .select({
          id: threads.id,
          status: threads.status,
          assigneeId: threads.assigneeId,
          assigneeName: users.name,
          lastInboundAt: threads.lastInboundAt,
        })
        .from(threads)
        .leftJoin(users, eq(users.id, threads.assigneeId))
        .where(and(eq(threads.inboxId, inbox.id), eq(threads.contactId, target.contact.id)))
    : [];
  const csw = customerServiceWindow(thread?.lastInboundAt ?? null, now);

  const events = target.contact
    ? (await loadContactEvents(db, { contactId: target.contact.id, wabaId: inbox.wabaId })).events
    : [];
  const model = await loadPricingModel(db);
  let effect: StartEffect | null = null;
  let fep = { open: false, expiresAt: null as string | null };
  if (template) {
    const table = await loadPriceTable(db);
    const p = templateSendPreview(events, now.getTime(), {
      category: template.category,
      waId: target.waId,
      model,
      table,
    });
    effect = toStartEffect(p.effect);
    fep = { open: p.windows.fep.open, expiresAt: iso(p.windows.fep.expiresAt) };
  }
  const refusal = template ? optedOutRefusal(template, target.contact) : null;

  return {
    waId: target.waId,
    contact: target.contact
      ? {
          id: target.contact.id,
          profileName: target.contact.profileName,
          optedOutMarketing: target.contact.optedOutMarketing,
        }
      : null,
    thread: thread
      ? {
          id: thread.id,
          status: thread.status,
          assigneeId: thread.assigneeId,
          assigneeName: thread.assigneeName,
        }
      : null,
    csw: { open: csw.open, expiresAt: csw.expiresAt?.toISOString() ?? null },
    fep,
    template: template
      ? {
          id: template.id,
          name: template.name,
          language: template.language,
          category: normalizeTemplateCategory(template.category),
        }
      : null,
    effect,
    model,
    currency: "USD",
    blocked: refusal ? { reason: "opted_out", message: refusal } : null,
  };
}

/**
 * Starts (or restarts) a conversation with a template. Everything that can be refused is checked
 * before anything is stored (inbox membership, number, template approval and variables, opt-out),
 * so a refusal leaves no empty thread behind. Throws AppError on refusal.
 */
export async function startConversation(
  db: Db,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<StartResult> {
  const args = parse(startConversationSchema, input);
  const inbox = await requireInbox(db, actor, args.inboxId);
  const target = await resolveTarget(db, args);
  const template = await requireTemplate(db, actor, inbox.wabaId, args.templateId);
  const refusal = optedOutRefusal(template, target.contact);
  if (refusal) {
    log.info("conversation_start.opted_out", { userId: actor.id, contactId: target.contact?.id });
    throw new AppError("invalid_input", refusal, { field: "templateId", reason: "opted_out" });
  }
  const built = buildTemplateSend(
    { name: template.name, components: template.components as StoredTemplateComponent[] },
    {
      params: args.params,
      headerParams: args.headerParams,
      buttonParams: args.buttonParams,
      headerMedia: args.headerMedia,
    },
  );
  if (!built.ok) {
    log.info("conversation_start.template_params", { userId: actor.id, problems: built.problems });
    throw new AppError("template_params", built.message, { field: "params", problems: built.problems });
  }

  const { threadId, contactId, createdThread } = await db.transaction(async (tx) => {
    let contactId = target.contact?.id;
    if (!contactId) {
      await tx.insert(contacts).values({ waId: target.waId }).onConflictDoNothing({ target: contacts.waId });
      const [c] = await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.waId, target.waId));
      contactId = c.id;
    }
    const [created] = await tx
      .insert(threads)
      .values({
        inboxId: inbox.id,
        contactId,
        assigneeId: actor.id,
        status: "open",
        lastMessageAt: now,
      })
      .onConflictDoNothing({ target: [threads.inboxId, threads.contactId] })
      .returning({ id: threads.id });
    let threadId = created?.id;
    if (!threadId) {
      const [t] = await tx
        .select({ id: threads.id, assigneeId: threads.assigneeId, status: threads.status })
        .from(threads)
        .where(and(eq(threads.inboxId, inbox.id), eq(threads.contactId, contactId)))
        .for("update");
      threadId = t.id;
      // The sender takes a thread nobody holds (or a finished one); someone else's stays theirs.
      const takeOver = t.assigneeId === null || t.status === "resolved";
      await tx
        .update(threads)
        .set({
          status: "open",
          snoozedUntil: null,
          ...(takeOver ? { assigneeId: actor.id } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(threads.id, t.id));
    }
    await tx.insert(auditLog).values({
      actorUserId: actor.id,
      action: "conversation.start",
      targetType: "thread",
      targetId: threadId,
      data: {
        inboxId: inbox.id,
        waId: target.waId,
        templateId: template.id,
        createdThread: Boolean(created),
      },
    });
    return { threadId, contactId, createdThread: Boolean(created) };
  });

  const sent = await sendMessage(db, {
    threadId,
    actor: { userId: actor.id, role: actor.role },
    input: {
      type: "template",
      templateId: template.id,
      params: args.params,
      headerParams: args.headerParams,
      buttonParams: args.buttonParams,
      headerMedia: args.headerMedia,
    },
    clientId: args.clientId,
    now,
  });
  if (!sent.ok) {
    // Rare (e.g. the template was paused a moment ago): do not leave an empty thread behind.
    if (createdThread) {
      await db
        .delete(threads)
        .where(
          and(
            eq(threads.id, threadId),
            sql`not exists (select 1 from ${messages} where ${messages.threadId} = ${threads.id})`,
          ),
        );
    }
    throw sent.error;
  }
  log.info("conversation_start.sent", {
    userId: actor.id,
    threadId,
    contactId,
    createdThread,
    messageId: sent.message.id,
  });
  return { threadId, contactId, createdThread, message: sent.message };
}

export type ContactOption = {
  id: string;
  waId: string;
  profileName: string | null;
  optedOutMarketing: boolean;
};

/**
 * Contacts to start a conversation with, matching `q` in name or number. Agents find only
 * contacts who already have a thread in one of their inboxes; supervisors and admins find anyone.
 */
export async function searchContactsForStart(
  db: DbOrTx,
  actor: Actor,
  q: string,
  limit = 10,
): Promise<ContactOption[]> {
  const term = q.trim().slice(0, 100);
  if (term.length < 2) return [];
  const digits = term.replace(/\D/g, "");
  const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const match =
    digits.length >= 3
      ? sql`(${contacts.profileName} ilike ${pattern} or ${contacts.waId} like ${`%${digits}%`})`
      : sql`${contacts.profileName} ilike ${pattern}`;
  const visible =
    actor.role === "agent"
      ? sql`exists (select 1 from ${threads} t join inbox_members m on m.inbox_id = t.inbox_id
                    where t.contact_id = ${contacts.id} and m.user_id = ${actor.id})`
      : sql`true`;
  return db
    .select({
      id: contacts.id,
      waId: contacts.waId,
      profileName: contacts.profileName,
      optedOutMarketing: contacts.optedOutMarketing,
    })
    .from(contacts)
    .where(and(match, visible))
    .orderBy(contacts.profileName, contacts.waId)
    .limit(Math.min(50, Math.max(1, limit)));
}
