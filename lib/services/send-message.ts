/**
 * The one path every outbound message takes (composer, REST API, campaigns): check the rules
 * server-side (the customer service window, template approval and variables, assignee-only
 * replies), store the message `pending` with what the UI must show, and hand it to the outbox.
 * Only the outbox calls Meta, so a crash after the commit still sends the message later.
 */
import fs from "node:fs";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client";
import {
  auditLog,
  contacts,
  inboxes,
  messages,
  templates,
  threads,
  workspaceSettings,
} from "../../db/schema";
import type { Role } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";
import { emitTo } from "../realtime/emit";
import { rooms } from "../realtime/events";
import type { TemplateSendObject } from "../whatsapp/graph-client";
import {
  buildTemplateSend,
  type HeaderMediaParam,
  type ParamValues,
  type RenderedTemplate,
  type StoredTemplateComponent,
} from "../whatsapp/template-params";
import { freeTextDecision } from "../windows/csw";
import { resolveMediaPath } from "./media";
import { kickOutbox } from "./outbox";
import { refreshThreadState } from "./thread-state";
import { announceThread } from "./threads";
import { transactionWithRetry } from "./tx-retry";

export type MessageRow = typeof messages.$inferSelect;

export type MediaKind = "image" | "document" | "audio" | "video";

export type SendInput =
  | { type: "text"; text: string; replyToMessageId?: string }
  | {
      type: "template";
      /** Our templates.id; or name + language (language may be omitted when the name has one language). */
      templateId?: string;
      name?: string;
      language?: string;
      /** Body variables: positional values in order, or by name for named templates. */
      params?: ParamValues;
      headerParams?: ParamValues;
      headerMedia?: HeaderMediaParam;
      /** URL button suffixes, in order of the variable URL buttons, or keyed by button index. */
      buttonParams?: string[] | Record<string, string>;
    }
  | {
      type: "media";
      mediaKind: MediaKind;
      /** A file saved with saveMediaFile (relative to MEDIA_DIR), or a public https link. */
      mediaPath?: string;
      link?: string;
      mime?: string;
      caption?: string;
      filename?: string;
      replyToMessageId?: string;
    }
  /** A private note: stored for the team, never sent. */
  | { type: "note"; text: string };

export type SendActor = { userId: string | null; role: Role } | { apiKeyId: string };

export type SendArgs = {
  threadId: string;
  actor: SendActor;
  input: SendInput;
  /** Idempotency key from the browser: a retried submit returns the message stored the first time. */
  clientId?: string;
  /** Campaign the message belongs to. */
  campaignId?: string;
  /** Do not send before this instant (campaign pacing); default: as soon as possible. */
  notBefore?: Date;
  now?: Date;
};

export type SendResult = { ok: true; message: MessageRow } | { ok: false; error: AppError };

/** Meta's limits (Cloud API "Send messages"): text body 4096 characters, media captions 1024. */
export const MAX_TEXT_CHARS = 4096;
export const MAX_CAPTION_CHARS = 1024;

type ThreadContext = {
  id: string;
  inboxId: string;
  contactId: string;
  assigneeId: string | null;
  lastInboundAt: Date | null;
  wabaId: string;
  waId: string;
};

/** Values for the message row, decided before the transaction. */
type Prepared = Omit<typeof messages.$inferInsert, "threadId" | "direction" | "senderUserId" | "at"> & {
  preview: string | null;
};

/** Sends (queues) a message on a thread. Refusals come back as `{ ok: false, error }`, each with a log line. */
export async function sendMessage(db: Db, args: SendArgs): Promise<SendResult> {
  const now = args.now ?? new Date();
  const refuse = (error: AppError): SendResult => {
    log.info("send.refused", {
      threadId: args.threadId,
      type: args.input.type,
      code: error.code,
      reason: error.message,
      ...actorLog(args.actor),
    });
    return { ok: false, error };
  };

  const [thread] = await db
    .select({
      id: threads.id,
      inboxId: threads.inboxId,
      contactId: threads.contactId,
      assigneeId: threads.assigneeId,
      lastInboundAt: threads.lastInboundAt,
      wabaId: inboxes.wabaId,
      waId: contacts.waId,
    })
    .from(threads)
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(eq(threads.id, args.threadId));
  if (!thread) return refuse(new AppError("not_found", "This conversation does not exist."));

  if (args.clientId) {
    const existing = await findByClientId(db, args.clientId);
    if (existing) return replayed(existing, args.threadId, refuse);
  }

  if (args.input.type !== "note") {
    const refusal = await assigneeOnlyRefusal(db, thread, args.actor);
    if (refusal) return refuse(refusal);
  }

  const prepared = await prepare(db, thread, args.actor, args.input, now);
  if (prepared instanceof AppError) return refuse(prepared);

  const isNote = args.input.type === "note";
  const senderUserId = "userId" in args.actor ? args.actor.userId : null;
  const { preview, ...values } = prepared;
  const stored = await transactionWithRetry(db, "send.store", async (tx) => {
    // Thread row first: the lock order of the webhook handler and the outbox (no deadlocks).
    if (!isNote)
      await tx.select({ id: threads.id }).from(threads).where(eq(threads.id, thread.id)).for("update");
    const [row] = await tx
      .insert(messages)
      .values({
        ...values,
        threadId: thread.id,
        direction: "outbound",
        senderUserId,
        at: now,
        clientId: args.clientId ?? null,
        campaignId: args.campaignId ?? null,
        // Due at once (database clock, like the outbox's claim) unless paced by a campaign.
        nextAttemptAt: isNote ? null : (args.notBefore ?? sql`now()`),
      })
      .onConflictDoNothing({ target: messages.clientId })
      .returning();
    if (!row) return null; // the same clientId committed concurrently
    if (!isNote) {
      await tx
        .update(threads)
        .set({ lastMessageAt: now, lastMessagePreview: preview, updatedAt: sql`now()` })
        .where(eq(threads.id, thread.id));
      await refreshThreadState(tx, thread.id, now);
    }
    if ("apiKeyId" in args.actor) {
      await tx.insert(auditLog).values({
        action: "api.message.send",
        targetType: "message",
        targetId: row.id,
        data: { apiKeyId: args.actor.apiKeyId, threadId: thread.id, type: row.type },
      });
    }
    return row;
  });

  if (!stored) {
    const existing = await findByClientId(db, args.clientId!);
    if (existing) return replayed(existing, args.threadId, refuse);
    throw new Error("message insert conflicted but no message has that client id");
  }

  log.info("send.queued", {
    messageId: stored.id,
    threadId: thread.id,
    type: stored.type,
    ...actorLog(args.actor),
  });
  const room = [rooms.inbox(thread.inboxId), rooms.thread(thread.id)];
  emitTo(room, "message:new", { threadId: thread.id, inboxId: thread.inboxId, messageId: stored.id });
  if (!isNote) {
    await announceThread(db, thread.id);
    kickOutbox();
  }
  return { ok: true, message: stored };
}

/**
 * Queues a failed message again (the UI's "retry"): only messages Meta never accepted (no
 * wamid), and free-form ones only while the window is open — the same rules as a new send.
 */
export async function retryFailedMessage(
  db: Db,
  args: { messageId: string; actor: SendActor; now?: Date },
): Promise<SendResult> {
  const now = args.now ?? new Date();
  const refuse = (error: AppError): SendResult => {
    log.info("send.retry_refused", { messageId: args.messageId, code: error.code, reason: error.message });
    return { ok: false, error };
  };
  const [m] = isUuid(args.messageId)
    ? await db
        .select({
          id: messages.id,
          threadId: messages.threadId,
          type: messages.type,
          status: messages.status,
          direction: messages.direction,
          wamid: messages.wamid,
          inboxId: threads.inboxId,
          assigneeId: threads.assigneeId,
          lastInboundAt: threads.lastInboundAt,
        })
        .from(messages)
        .innerJoin(threads, eq(threads.id, messages.threadId))
        .where(eq(messages.id, args.messageId))
    : [];
  if (!m) return refuse(new AppError("not_found", "This message does not exist."));
  if (m.direction !== "outbound" || m.status !== "failed" || m.wamid) {
    return refuse(
      new AppError("conflict", "Only a message that failed before WhatsApp accepted it can be retried."),
    );
  }
  const ctx = { ...m, id: m.threadId, contactId: "", wabaId: "", waId: "" };
  const refusal = await assigneeOnlyRefusal(db, ctx, args.actor);
  if (refusal) return refuse(refusal);
  if (m.type !== "template") {
    const closed = windowRefusal(ctx, now);
    if (closed) return refuse(closed);
  }
  const [row] = await db
    .update(messages)
    .set({
      status: "pending",
      attempts: 0,
      nextAttemptAt: sql`now()`,
      errorCode: null,
      errorText: null,
      failedAt: null,
      lastError: null,
    })
    .where(and(eq(messages.id, m.id), eq(messages.status, "failed"), isNull(messages.wamid)))
    .returning();
  if (!row) return refuse(new AppError("conflict", "This message changed meanwhile; reload and try again."));
  log.info("send.retried", { messageId: m.id, ...actorLog(args.actor) });
  emitTo([rooms.inbox(m.inboxId), rooms.thread(m.threadId)], "message:status", {
    threadId: m.threadId,
    inboxId: m.inboxId,
    messageId: m.id,
    status: "pending",
  });
  kickOutbox();
  return { ok: true, message: row };
}

function actorLog(actor: SendActor): Record<string, unknown> {
  return "apiKeyId" in actor ? { apiKeyId: actor.apiKeyId } : { userId: actor.userId, role: actor.role };
}

async function findByClientId(db: DbOrTx, clientId: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.clientId, clientId));
  return row;
}

function replayed(existing: MessageRow, threadId: string, refuse: (e: AppError) => SendResult): SendResult {
  if (existing.threadId !== threadId) {
    return refuse(
      new AppError("conflict", "This client id was already used for a message in another conversation."),
    );
  }
  return { ok: true, message: existing };
}

/** With "only the assignee may reply" on, an agent may not reply to someone else's (or nobody's) thread. */
async function assigneeOnlyRefusal(
  db: DbOrTx,
  thread: ThreadContext,
  actor: SendActor,
): Promise<AppError | null> {
  if (!("role" in actor) || actor.role !== "agent") return null;
  const [settings] = await db
    .select({ only: workspaceSettings.onlyAssigneeMayReply })
    .from(workspaceSettings)
    .limit(1);
  if (!settings?.only || thread.assigneeId === actor.userId) return null;
  return new AppError(
    "assignee_only",
    thread.assigneeId
      ? "Only the agent assigned to this conversation may reply. Ask a supervisor to reassign it."
      : "Assign this conversation to yourself before replying.",
    { assigneeId: thread.assigneeId },
  );
}

/** Validates the input against the rules and returns the row's values, or the refusal. */
async function prepare(
  db: DbOrTx,
  thread: ThreadContext,
  actor: SendActor,
  input: SendInput,
  now: Date,
): Promise<Prepared | AppError> {
  switch (input.type) {
    case "note": {
      const text = input.text?.trim() ?? "";
      if (!text) return new AppError("invalid_input", "A note cannot be empty.", { field: "text" });
      return { type: "note", body: text, status: "note", preview: null };
    }
    case "text": {
      const text = input.text?.trim() ?? "";
      if (!text) return new AppError("invalid_input", "A message cannot be empty.", { field: "text" });
      if (text.length > MAX_TEXT_CHARS) {
        return new AppError("invalid_input", `A message can have at most ${MAX_TEXT_CHARS} characters.`, {
          field: "text",
        });
      }
      const closed = windowRefusal(thread, now);
      if (closed) return closed;
      const reply = await replyTarget(db, thread.id, input.replyToMessageId);
      if (reply instanceof AppError) return reply;
      return {
        type: "text",
        body: text,
        status: "pending",
        replyToWamid: reply,
        payload: { text: { body: text } },
        preview: text,
      };
    }
    case "media":
      return prepareMedia(db, thread, input, now);
    case "template":
      return prepareTemplate(db, thread, actor, input);
  }
}

/** Free-form messages need the customer service window open (docs/whatsapp-rules.md §1). */
function windowRefusal(thread: ThreadContext, now: Date): AppError | null {
  const d = freeTextDecision(thread.lastInboundAt, now);
  if (d.freeText) return null;
  return new AppError(
    "window_closed",
    d.closedAt
      ? "The 24-hour customer service window is closed: only an approved template can be sent until the customer writes again."
      : "The customer has not written yet: only an approved template can start this conversation.",
    { closedAt: d.closedAt?.toISOString() ?? null },
  );
}

async function replyTarget(
  db: DbOrTx,
  threadId: string,
  replyToMessageId: string | undefined,
): Promise<string | null | AppError> {
  if (!replyToMessageId) return null;
  const [target] = isUuid(replyToMessageId)
    ? await db
        .select({ wamid: messages.wamid })
        .from(messages)
        .where(and(eq(messages.id, replyToMessageId), eq(messages.threadId, threadId)))
    : [];
  if (!target) {
    return new AppError("invalid_input", "The message being replied to is not in this conversation.", {
      field: "replyToMessageId",
    });
  }
  if (!target.wamid) {
    return new AppError("invalid_input", "You can only reply to a message that WhatsApp has accepted.", {
      field: "replyToMessageId",
    });
  }
  return target.wamid;
}

async function prepareMedia(
  db: DbOrTx,
  thread: ThreadContext,
  input: Extract<SendInput, { type: "media" }>,
  now: Date,
): Promise<Prepared | AppError> {
  if (!["image", "document", "audio", "video"].includes(input.mediaKind)) {
    return new AppError("invalid_input", "Media must be an image, document, audio or video.", {
      field: "mediaKind",
    });
  }
  if (!input.mediaPath === !input.link) {
    return new AppError("invalid_input", "Attach a file or give a link (exactly one).", {
      field: "mediaPath",
    });
  }
  if (input.mediaPath) {
    const abs = resolveMediaPath(input.mediaPath);
    if (!abs || !fs.existsSync(abs)) {
      return new AppError("invalid_input", "The attached file was not found; upload it again.", {
        field: "mediaPath",
      });
    }
  } else if (!/^https:\/\/\S+$/i.test(input.link!)) {
    return new AppError("invalid_input", "A media link must be a public https URL.", { field: "link" });
  }
  const caption = input.caption?.trim() || null;
  if (caption && input.mediaKind === "audio") {
    return new AppError("invalid_input", "WhatsApp does not allow a caption on audio.", { field: "caption" });
  }
  if (caption && caption.length > MAX_CAPTION_CHARS) {
    return new AppError("invalid_input", `A caption can have at most ${MAX_CAPTION_CHARS} characters.`, {
      field: "caption",
    });
  }
  const closed = windowRefusal(thread, now);
  if (closed) return closed;
  const reply = await replyTarget(db, thread.id, input.replyToMessageId);
  if (reply instanceof AppError) return reply;
  const filename = input.mediaKind === "document" ? input.filename?.trim() || null : null;
  return {
    type: input.mediaKind,
    body: caption,
    status: "pending",
    mediaPath: input.mediaPath ?? null,
    mediaMime: input.mime ?? null,
    replyToWamid: reply,
    payload: { link: input.link ?? null, caption, filename },
    preview: caption ?? `[${input.mediaKind}]`,
  };
}

/** What an outbound template row's `payload` holds: the exact Meta object, and the text as rendered. */
export type TemplatePayload = { template: TemplateSendObject; rendered: RenderedTemplate };

async function prepareTemplate(
  db: DbOrTx,
  thread: ThreadContext,
  actor: SendActor,
  input: Extract<SendInput, { type: "template" }>,
): Promise<Prepared | AppError> {
  const found = await findTemplate(db, thread.wabaId, input);
  if (found instanceof AppError) return found;
  const tpl = found;
  const label = `"${tpl.name}" (${tpl.language})`;
  if (tpl.status !== "APPROVED") {
    return new AppError(
      "template_not_approved",
      `Template ${label} is ${tpl.status.toLowerCase()}: only templates Meta approved can be sent.`,
      { templateId: tpl.id, status: tpl.status },
    );
  }
  if ("role" in actor && actor.role === "agent" && !tpl.visibleToAgents) {
    return new AppError("template_not_approved", `Template ${label} is not available to agents.`, {
      templateId: tpl.id,
    });
  }
  const built = buildTemplateSend(
    { name: tpl.name, components: tpl.components as StoredTemplateComponent[] },
    {
      params: input.params,
      headerParams: input.headerParams,
      headerMedia: input.headerMedia,
      buttonParams: input.buttonParams,
    },
  );
  if (!built.ok) {
    return new AppError("template_params", built.message, { templateId: tpl.id, problems: built.problems });
  }
  const template: TemplateSendObject = {
    name: tpl.name,
    language: { code: tpl.language },
    ...(built.components.length ? { components: built.components } : {}),
  };
  const payload: TemplatePayload = { template, rendered: built.rendered };
  return {
    type: "template",
    body: built.rendered.body,
    status: "pending",
    templateName: tpl.name,
    templateLanguage: tpl.language,
    templateCategory: tpl.category.toLowerCase(),
    templateParams: {
      params: input.params ?? null,
      headerParams: input.headerParams ?? null,
      headerMedia: input.headerMedia ?? null,
      buttonParams: input.buttonParams ?? null,
    },
    payload,
    preview: built.rendered.body,
  };
}

type TemplateRow = typeof templates.$inferSelect;

async function findTemplate(
  db: DbOrTx,
  wabaId: string,
  input: Extract<SendInput, { type: "template" }>,
): Promise<TemplateRow | AppError> {
  const live = and(eq(templates.wabaId, wabaId), isNull(templates.deletedAt));
  if (input.templateId) {
    const [t] = isUuid(input.templateId)
      ? await db
          .select()
          .from(templates)
          .where(and(live, eq(templates.id, input.templateId)))
      : [];
    return (
      t ??
      new AppError("template_not_approved", "This template does not exist for this inbox's WhatsApp account.")
    );
  }
  if (!input.name) {
    return new AppError("invalid_input", "Choose a template (its id, or its name and language).", {
      field: "name",
    });
  }
  const rows = await db
    .select()
    .from(templates)
    .where(
      and(
        live,
        eq(templates.name, input.name),
        ...(input.language ? [eq(templates.language, input.language)] : []),
      ),
    );
  if (rows.length === 0) {
    return new AppError(
      "template_not_approved",
      `No template named "${input.name}"${input.language ? ` in ${input.language}` : ""} exists for this inbox's WhatsApp account.`,
    );
  }
  if (rows.length > 1) {
    return new AppError(
      "invalid_input",
      `Template "${input.name}" exists in several languages (${rows.map((r) => r.language).join(", ")}): say which.`,
      { field: "language" },
    );
  }
  return rows[0];
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
