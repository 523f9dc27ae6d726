/**
 * Template management: create, edit, delete and submit templates on Meta,
 * sync their statuses (button, worker and webhook), choose which approved ones
 * agents see, and the lists the admin page and the agents' picker read.
 *
 * Meta is called before anything is stored, so a refusal leaves nothing
 * half-created; every change writes audit_log and is emitted after the commit.
 */
import { and, eq, gte, inArray, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import {
  auditLog,
  billingConversations,
  inboxes,
  messages,
  templates,
  threads,
  workspaceSettings,
} from "../../db/schema";
import type { Role, TemplateStatus } from "../domain";
import { env } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import { emitTo } from "../realtime/emit";
import { rooms } from "../realtime/events";
import {
  draftFromTemplate,
  storedComponentsFromMeta,
  type TemplateDraft,
  templateDraftSchema,
  toMetaCreate,
  toStoredComponents,
} from "../templates/draft";
import { normalizeLanguage } from "../templates/languages";
import { renderPreview } from "../templates/render";
import { statusEffect, statusReason } from "../templates/status";
import { editProblems, validateTemplateDraft } from "../templates/validate";
import {
  type RenderedTemplate,
  type StoredTemplateComponent,
  type TemplateVariables,
  templateVariables,
} from "../whatsapp/template-params";
import {
  createMessageTemplate,
  deleteMessageTemplate,
  editMessageTemplate,
  getMessageTemplate,
  listMessageTemplates,
  type MetaApiError,
  type MetaTemplate,
  templateErrorToAppError,
  type WabaCredentials,
} from "../whatsapp/templates-api";
import type { Actor } from "./access";

export type TemplateRow = typeof templates.$inferSelect;

/** A template on the admin page, with this month's sends (UTC month) and what they cost. */
export type AdminTemplate = TemplateRow & {
  sentThisMonth: number;
  /** Micro-units of `currency`: the conversations these sends opened (CBP) or the messages' prices (PMP). */
  costMicrosThisMonth: number;
  currency: string;
};

/** One WhatsApp Business Account with its inboxes and templates. */
export type WabaTemplates = {
  wabaId: string;
  inboxes: Array<{ id: string; name: string; displayNumber: string }>;
  templates: AdminTemplate[];
};

/** What a status change, edit, delete or visibility toggle emits (after the commit). */
export type TemplateChange = {
  templateId: string;
  wabaId: string;
  name: string;
  status: string;
  reason: string | null;
  visibleToAgents: boolean;
};

const ADMIN: readonly Role[] = ["admin"];
const VIEWERS: readonly Role[] = ["admin", "supervisor"];

function authorize(actor: Actor, roles: readonly Role[], action: string) {
  if (!roles.includes(actor.role)) {
    log.warn("templates.forbidden", { userId: actor.id, role: actor.role, action });
    throw new AppError("forbidden", "Only admins can manage templates.");
  }
}

async function audit(
  db: DbOrTx,
  actorId: string | null,
  action: string,
  t: { id: string },
  data: Record<string, unknown>,
) {
  await db
    .insert(auditLog)
    .values({ actorUserId: actorId, action, targetType: "template", targetId: t.id, data });
}

/** Sends template changes to admins' and supervisors' pages and to every agent's picker. */
export function emitTemplateChanges(changes: readonly TemplateChange[]) {
  // Templates belong to a WABA shared by its inboxes; role rooms reach every signed-in user.
  const everyone = [rooms.role("admin"), rooms.role("supervisor"), rooms.role("agent")];
  for (const c of changes) {
    emitTo(everyone, "template:update", {
      templateId: c.templateId,
      status: c.status,
      reason: c.reason,
      name: c.name,
      wabaId: c.wabaId,
      visibleToAgents: c.visibleToAgents,
    });
  }
}

const changeOf = (t: TemplateRow, status: string = t.status): TemplateChange => ({
  templateId: t.id,
  wabaId: t.wabaId,
  name: t.name,
  status,
  reason: t.rejectedReason,
  visibleToAgents: t.visibleToAgents,
});

/** The Graph API base and an access token for a WABA (from one of its inboxes). */
async function credentialsFor(db: DbOrTx, wabaId: string): Promise<WabaCredentials> {
  const rows = await db
    .select({ token: inboxes.accessToken })
    .from(inboxes)
    .where(eq(inboxes.wabaId, wabaId))
    .orderBy(inboxes.createdAt);
  if (rows.length === 0) {
    throw new AppError("not_found", `No inbox belongs to the WhatsApp account ${wabaId}.`, {
      field: "wabaId",
    });
  }
  const withToken = rows.find((r) => r.token.trim() !== "");
  if (!withToken) {
    throw new AppError("invalid_input", `No inbox of WhatsApp account ${wabaId} has an access token.`, {
      field: "wabaId",
    });
  }
  return { wabaId, accessToken: withToken.token, baseUrl: env().GRAPH_API_URL };
}

function parseDraft(input: unknown): TemplateDraft {
  const parsed = templateDraftSchema.safeParse(input);
  if (!parsed.success) {
    log.warn("templates.draft_malformed", { issues: parsed.error.issues.slice(0, 5).map((i) => i.message) });
    throw new AppError("invalid_input", "The template form was incomplete. Reload the page and try again.");
  }
  return parsed.data;
}

function invalid(fields: Record<string, string>, event: string, data: Record<string, unknown>): AppError {
  log.warn(event, { ...data, fields: Object.keys(fields) });
  const first = Object.values(fields)[0];
  return new AppError("invalid_input", first ?? "Check the highlighted fields.", { fields });
}

function metaFailure(err: unknown, event: string, ctx: { name: string; language: string; wabaId: string }) {
  const appErr = templateErrorToAppError(err, ctx);
  log.warn(event, {
    ...ctx,
    code: appErr.code,
    metaCode: (err as MetaApiError).code ?? null,
    metaSubcode: (err as MetaApiError).subcode ?? null,
    message: appErr.message,
  });
  return appErr;
}

async function loadLive(db: DbOrTx, id: string): Promise<TemplateRow> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AppError("not_found", "That template does not exist.");
  const [t] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), isNull(templates.deletedAt)));
  if (!t) throw new AppError("not_found", "That template does not exist (it may have been deleted).");
  return t;
}

// ---------------------------------------------------------------------------------------------
// Reading

const monthStartUtc = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** Templates per WABA for the admin page (admins and supervisors), with this month's usage. */
export async function listTemplatesForAdmin(
  db: DbOrTx,
  actor: Actor,
  opts: { now?: Date } = {},
): Promise<WabaTemplates[]> {
  authorize(actor, VIEWERS, "list");
  const now = opts.now ?? new Date();
  const inboxRows = await db
    .select({
      id: inboxes.id,
      name: inboxes.name,
      displayNumber: inboxes.displayNumber,
      wabaId: inboxes.wabaId,
    })
    .from(inboxes)
    .orderBy(inboxes.name);
  const rows = await db
    .select()
    .from(templates)
    .where(isNull(templates.deletedAt))
    .orderBy(templates.name, templates.language);
  const usage = await templateUsage(db, monthStartUtc(now));

  const wabaIds = [...new Set([...inboxRows.map((i) => i.wabaId), ...rows.map((t) => t.wabaId)])].sort();
  return wabaIds.map((wabaId) => ({
    wabaId,
    inboxes: inboxRows
      .filter((i) => i.wabaId === wabaId)
      .map(({ id, name, displayNumber }) => ({ id, name, displayNumber })),
    templates: rows
      .filter((t) => t.wabaId === wabaId)
      .map((t) => {
        const u = usage.get(`${t.wabaId}|${t.name}|${t.language}`);
        return {
          ...t,
          sentThisMonth: u?.sent ?? 0,
          costMicrosThisMonth: u?.cost ?? 0,
          currency: u?.currency ?? "USD",
        };
      }),
  }));
}

/**
 * Template sends since `since` per (WABA, name, language), failed ones excluded,
 * and their cost under the workspace's pricing model: under CBP a template costs
 * the conversation it opened (none if one of its category was open); under PMP
 * each delivered template has its own price.
 */
async function templateUsage(
  db: DbOrTx,
  since: Date,
): Promise<Map<string, { sent: number; cost: number; currency: string }>> {
  const [settings] = await db
    .select({ model: workspaceSettings.pricingModel })
    .from(workspaceSettings)
    .limit(1);
  const model = settings?.model ?? "cbp";
  const cost =
    model === "pmp"
      ? sql<string>`coalesce(sum(${messages.costMicros}), 0)::text`
      : sql<string>`coalesce(sum(${billingConversations.costMicros}), 0)::text`;
  const base = db
    .select({
      wabaId: inboxes.wabaId,
      name: messages.templateName,
      language: messages.templateLanguage,
      sent: sql<number>`count(distinct ${messages.id})::int`,
      cost,
      currency: sql<string | null>`max(${billingConversations.currency})`,
    })
    .from(messages)
    .innerJoin(threads, eq(threads.id, messages.threadId))
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .leftJoin(billingConversations, eq(billingConversations.openedByMessageId, messages.id))
    .where(
      and(
        eq(messages.direction, "outbound"),
        isNotNull(messages.templateName),
        ne(messages.status, "failed"),
        gte(messages.at, since),
      ),
    )
    .groupBy(inboxes.wabaId, messages.templateName, messages.templateLanguage);
  const out = new Map<string, { sent: number; cost: number; currency: string }>();
  for (const r of await base) {
    out.set(`${r.wabaId}|${r.name}|${r.language}`, {
      sent: r.sent,
      cost: Number(r.cost),
      currency: r.currency ?? "USD",
    });
  }
  return out;
}

/** One template for the edit form (admins and supervisors). */
export async function getTemplateForAdmin(
  db: DbOrTx,
  actor: Actor,
  id: string,
): Promise<{ template: TemplateRow; draft: TemplateDraft }> {
  authorize(actor, VIEWERS, "get");
  const t = await loadLive(db, id);
  return {
    template: t,
    draft: draftFromTemplate({ ...t, components: t.components as StoredTemplateComponent[] }),
  };
}

/** A template as the agents' picker shows it. */
export type PickerTemplate = {
  id: string;
  name: string;
  language: string;
  /** Lowercase, as our pricing rules name categories. */
  category: "marketing" | "utility" | "authentication";
  components: StoredTemplateComponent[];
  variables: TemplateVariables;
  preview: RenderedTemplate;
};

/**
 * The templates an agent may send from `inboxId`: approved, not deleted, of the
 * inbox's WABA, and — for agents — visible to agents. Supervisors and admins
 * also see hidden ones. Sorted by category, then name.
 */
export async function listPickerTemplates(
  db: DbOrTx,
  opts: { inboxId: string; role: Role; language?: string },
): Promise<PickerTemplate[]> {
  const [inbox] = await db
    .select({ wabaId: inboxes.wabaId })
    .from(inboxes)
    .where(eq(inboxes.id, opts.inboxId));
  if (!inbox) return [];
  const rows = await db
    .select()
    .from(templates)
    .where(
      and(
        eq(templates.wabaId, inbox.wabaId),
        // A template is the WABA's unless an admin scoped it to one inbox.
        or(isNull(templates.inboxId), eq(templates.inboxId, opts.inboxId)),
        eq(templates.status, "APPROVED"),
        isNull(templates.deletedAt),
        ...(opts.role === "agent" ? [eq(templates.visibleToAgents, true)] : []),
        ...(opts.language ? [eq(templates.language, opts.language)] : []),
      ),
    )
    .orderBy(templates.category, templates.name, templates.language);
  return rows.map((t) => {
    const components = t.components as StoredTemplateComponent[];
    return {
      id: t.id,
      name: t.name,
      language: t.language,
      category: t.category.toLowerCase() as PickerTemplate["category"],
      components,
      variables: templateVariables(components),
      preview: renderPreview(components),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Create, edit, delete, visibility

/**
 * Submits a new template to Meta (→ PENDING) and stores it once Meta accepted
 * it. Invalid drafts never reach Meta; Meta's refusals come back as AppErrors
 * with a `field` when Meta names one.
 */
export async function createTemplate(
  db: DbOrTx,
  actor: Actor,
  input: { wabaId: string; draft: unknown },
): Promise<TemplateRow> {
  authorize(actor, ADMIN, "create");
  const draft = parseDraft(input.draft);
  const ctx = { name: draft.name, language: draft.language, wabaId: input.wabaId };
  const checked = validateTemplateDraft(draft);
  if (!checked.ok) throw invalid(checked.errors, "templates.create_invalid", ctx);
  const creds = await credentialsFor(db, input.wabaId);

  const [existing] = await db
    .select({ id: templates.id, deletedAt: templates.deletedAt })
    .from(templates)
    .where(
      and(
        eq(templates.wabaId, input.wabaId),
        eq(templates.name, draft.name),
        eq(templates.language, draft.language),
      ),
    );
  if (existing && !existing.deletedAt) {
    throw invalid(
      { name: `A template called "${draft.name}" in ${draft.language} already exists. Choose another name.` },
      "templates.create_duplicate",
      ctx,
    );
  }

  let created: { id: string; status: string; category: string };
  try {
    created = await createMessageTemplate(creds, toMetaCreate(draft));
  } catch (err) {
    throw metaFailure(err, "templates.create_refused", ctx);
  }

  const effect = statusEffect(created.status);
  const status: TemplateStatus = effect?.kind === "status" ? effect.status : "PENDING";
  const now = new Date();
  let row: TemplateRow;
  try {
    row = await db.transaction(async (tx) => {
      const values = {
        // Meta's templates belong to the account (WABA): every inbox of it may send them.
        inboxId: null,
        wabaId: input.wabaId,
        metaId: created.id,
        name: draft.name,
        language: draft.language,
        category: created.category.toUpperCase(),
        status,
        rejectedReason: null,
        qualityRating: null,
        components: toStoredComponents(draft),
        visibleToAgents: true,
        lastSyncedAt: now,
        deletedAt: null,
        updatedAt: now,
      };
      // A row deleted more than 30 days ago may still hold the name: it is reused.
      const [r] = await tx
        .insert(templates)
        .values(values)
        .onConflictDoUpdate({ target: [templates.wabaId, templates.name, templates.language], set: values })
        .returning();
      await audit(tx, actor.id, "template.created", r, {
        wabaId: r.wabaId,
        name: r.name,
        language: r.language,
        category: r.category,
        status: r.status,
        metaId: r.metaId,
        ...(created.category.toUpperCase() !== draft.category ? { requestedCategory: draft.category } : {}),
      });
      return r;
    });
  } catch (err) {
    // Meta has it but we could not store it: take it back so nothing is left half-created.
    log.error("templates.create_store_failed", { ...ctx, metaId: created.id, error: String(err) });
    await deleteMessageTemplate(creds, { name: draft.name, hsmId: created.id }).catch((e) =>
      log.error("templates.create_rollback_failed", { ...ctx, metaId: created.id, error: String(e) }),
    );
    throw new AppError("internal", "The template could not be saved. Nothing was kept; try again.");
  }
  log.info("templates.created", { ...ctx, id: row.id, metaId: row.metaId, status: row.status });
  emitTemplateChanges([changeOf(row)]);
  return (await catchUpStatus(db, row, creds)) ?? row;
}

/**
 * Edits a template within Meta's limits (only APPROVED / REJECTED / PAUSED; the
 * name and language are fixed; an approved template keeps its category). Meta
 * reviews it again, so it goes back to PENDING.
 */
export async function editTemplate(
  db: DbOrTx,
  actor: Actor,
  id: string,
  input: { draft: unknown },
): Promise<TemplateRow> {
  authorize(actor, ADMIN, "edit");
  const t = await loadLive(db, id);
  const draft = parseDraft(input.draft);
  const ctx = { name: t.name, language: t.language, wabaId: t.wabaId };
  const limits = editProblems(t, draft);
  if (limits.form) {
    log.warn("templates.edit_not_allowed", { ...ctx, status: t.status });
    throw new AppError("conflict", limits.form, { fields: limits });
  }
  const checked = validateTemplateDraft(draft);
  const fields = { ...checked.errors, ...limits };
  if (Object.keys(fields).length > 0) throw invalid(fields, "templates.edit_invalid", ctx);
  if (!t.metaId) {
    throw new AppError(
      "conflict",
      "WhatsApp's id for this template is not known yet: press Sync now, then edit.",
    );
  }
  const creds = await credentialsFor(db, t.wabaId);
  const meta = toMetaCreate(draft);
  const categoryChanged = draft.category !== t.category.toUpperCase();
  try {
    await editMessageTemplate(creds, t.metaId, {
      ...(categoryChanged ? { category: draft.category } : {}),
      ...(meta.parameter_format ? { parameter_format: meta.parameter_format } : {}),
      components: meta.components,
    });
  } catch (err) {
    throw metaFailure(err, "templates.edit_refused", ctx);
  }
  const now = new Date();
  const row = await db.transaction(async (tx) => {
    const [r] = await tx
      .update(templates)
      .set({
        category: draft.category,
        components: toStoredComponents(draft),
        status: "PENDING",
        rejectedReason: null,
        updatedAt: now,
        lastSyncedAt: now,
      })
      .where(eq(templates.id, t.id))
      .returning();
    await audit(tx, actor.id, "template.edited", r, {
      name: r.name,
      language: r.language,
      before: { status: t.status, category: t.category, components: t.components },
      after: { status: r.status, category: r.category },
    });
    return r;
  });
  log.info("templates.edited", { ...ctx, id: row.id });
  emitTemplateChanges([changeOf(row)]);
  return (await catchUpStatus(db, row, creds)) ?? row;
}

/**
 * Deletes a template on Meta, then here (soft: past sends keep their history).
 * Meta keeps the name for 30 days. A template Meta no longer has is deleted here too.
 */
export async function deleteTemplate(db: DbOrTx, actor: Actor, id: string): Promise<TemplateRow> {
  authorize(actor, ADMIN, "delete");
  const t = await loadLive(db, id);
  const ctx = { name: t.name, language: t.language, wabaId: t.wabaId };
  const creds = await credentialsFor(db, t.wabaId);
  try {
    // With hsm_id only this language goes; without it Meta deletes every language of the name.
    await deleteMessageTemplate(creds, { name: t.name, hsmId: t.metaId });
  } catch (err) {
    const e = err as MetaApiError;
    const gone = e?.name === "MetaApiError" && (e.httpStatus === 404 || e.subcode === 2593002);
    if (!gone) throw metaFailure(err, "templates.delete_refused", ctx);
    log.info("templates.delete_already_gone", ctx);
  }
  const now = new Date();
  const victims = await db.transaction(async (tx) => {
    const rows = await tx
      .update(templates)
      .set({ deletedAt: now, updatedAt: now })
      .where(
        t.metaId
          ? eq(templates.id, t.id)
          : and(eq(templates.wabaId, t.wabaId), eq(templates.name, t.name), isNull(templates.deletedAt)),
      )
      .returning();
    for (const r of rows) {
      await audit(tx, actor.id, "template.deleted", r, {
        name: r.name,
        language: r.language,
        metaId: r.metaId,
      });
    }
    return rows;
  });
  log.info("templates.deleted", { ...ctx, rows: victims.length });
  emitTemplateChanges(victims.map((r) => changeOf(r, "DELETED")));
  return victims.find((r) => r.id === t.id) ?? t;
}

/**
 * Meta reviews in the background and reports by webhook; a webhook that lands
 * before our row is written (create) or overwritten by it (edit → PENDING) is
 * lost. Reading the status back once after our commit closes that gap. A
 * failure here is only logged: the periodic sync catches up.
 */
async function catchUpStatus(
  db: DbOrTx,
  row: TemplateRow,
  creds: WabaCredentials,
): Promise<TemplateRow | null> {
  if (!row.metaId) return null;
  try {
    const meta = await getMessageTemplate(creds, row.metaId);
    const effect = statusEffect(meta.status);
    if (effect?.kind !== "status" || effect.status === row.status) return null;
    const { change, current } = await db.transaction(async (tx) => {
      const [current] = await tx.select().from(templates).where(eq(templates.id, row.id)).for("update");
      if (!current || current.deletedAt) return { change: null, current: current ?? null };
      const change = await applyEffect(tx, current, effect, {
        reason: statusReason(effect.status, meta.rejected_reason ?? null),
        category: meta.category ?? null,
        metaId: null,
        now: new Date(),
        source: "sync",
        event: meta.status,
      });
      return { change, current };
    });
    if (change) emitTemplateChanges([change]);
    // Re-read: the change applied here, or the webhook that got in first.
    return change || current
      ? ((await db.select().from(templates).where(eq(templates.id, row.id)))[0] ?? null)
      : null;
  } catch (err) {
    log.warn("templates.catch_up_failed", { id: row.id, metaId: row.metaId, error: String(err) });
    return null;
  }
}

/** Shows or hides an approved template in the agents' picker. */
export async function setTemplateVisibility(
  db: DbOrTx,
  actor: Actor,
  id: string,
  visible: boolean,
): Promise<TemplateRow> {
  authorize(actor, ADMIN, "visibility");
  const t = await loadLive(db, id);
  if (t.visibleToAgents === visible) return t;
  const row = await db.transaction(async (tx) => {
    const [r] = await tx
      .update(templates)
      .set({ visibleToAgents: visible, updatedAt: new Date() })
      .where(eq(templates.id, id))
      .returning();
    await audit(tx, actor.id, visible ? "template.shown_to_agents" : "template.hidden_from_agents", r, {
      name: r.name,
      language: r.language,
    });
    return r;
  });
  emitTemplateChanges([changeOf(row)]);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Status updates (webhook) and sync

export type TemplateStatusUpdate = {
  wabaId: string;
  metaId?: string | null;
  name: string;
  language: string;
  /** Meta's `event`: APPROVED, REJECTED, PAUSED, DISABLED, FLAGGED, REINSTATED, PENDING_DELETION... */
  event: string;
  reason?: string | null;
  otherInfo?: { title?: string; description?: string } | null;
  category?: string | null;
};

/**
 * Applies a `message_template_status_update` webhook to our row (matched by
 * Meta's id, else by WABA + name + language) and writes the audit log. Call it
 * inside the ingest transaction; emit the returned change with
 * emitTemplateChanges after the commit. Null when nothing changed or the
 * template is unknown here (the next sync imports it).
 */
export async function applyTemplateStatusUpdate(
  tx: DbOrTx,
  u: TemplateStatusUpdate,
): Promise<TemplateChange | null> {
  const language = normalizeLanguage(u.language);
  const effect = statusEffect(u.event);
  const metaId = u.metaId ? String(u.metaId) : null;
  const [t] = await tx
    .select()
    .from(templates)
    .where(
      and(
        eq(templates.wabaId, u.wabaId),
        isNull(templates.deletedAt),
        metaId
          ? sql`(${templates.metaId} = ${metaId} or (${templates.name} = ${u.name} and ${templates.language} = ${language}))`
          : and(eq(templates.name, u.name), eq(templates.language, language)),
      ),
    )
    .limit(1);
  if (!t) {
    log.warn("templates.status_update_unknown", {
      wabaId: u.wabaId,
      metaId,
      name: u.name,
      language,
      event: u.event,
    });
    return null;
  }
  if (!effect) {
    log.warn("templates.status_update_unhandled", { id: t.id, event: u.event });
    await audit(tx, null, "template.status_event", t, {
      event: u.event,
      reason: u.reason ?? null,
      source: "webhook",
    });
    return null;
  }
  const now = new Date();
  const change = await applyEffect(tx, t, effect, {
    reason: effect.kind === "status" ? statusReason(effect.status, u.reason, u.otherInfo) : null,
    category: u.category ?? null,
    metaId,
    now,
    source: "webhook",
    event: u.event,
  });
  return change;
}

/** Updates one row for a status effect; writes audit_log when anything a user would notice changed. */
async function applyEffect(
  tx: DbOrTx,
  t: TemplateRow,
  effect: NonNullable<ReturnType<typeof statusEffect>>,
  o: {
    reason: string | null;
    category: string | null;
    metaId: string | null;
    now: Date;
    source: "webhook" | "sync";
    event: string;
    actorId?: string | null;
  },
): Promise<TemplateChange | null> {
  const base = { lastSyncedAt: o.now, ...(o.metaId && !t.metaId ? { metaId: o.metaId } : {}) };
  if (effect.kind === "deleted") {
    const [r] = await tx
      .update(templates)
      .set({ ...base, deletedAt: o.now, updatedAt: o.now })
      .where(eq(templates.id, t.id))
      .returning();
    await audit(tx, o.actorId ?? null, "template.deleted_by_meta", r, { event: o.event, source: o.source });
    return changeOf(r, "DELETED");
  }
  if (effect.kind === "quality") {
    const [r] = await tx
      .update(templates)
      .set({ ...base, qualityRating: effect.qualityRating, updatedAt: o.now })
      .where(eq(templates.id, t.id))
      .returning();
    await audit(tx, o.actorId ?? null, "template.quality_changed", r, {
      event: o.event,
      from: t.qualityRating,
      to: effect.qualityRating,
      source: o.source,
    });
    return changeOf(r);
  }
  if (effect.kind === "none") {
    await tx.update(templates).set(base).where(eq(templates.id, t.id));
    await audit(tx, o.actorId ?? null, "template.status_event", t, { event: o.event, source: o.source });
    return null;
  }
  const category = o.category ? o.category.toUpperCase() : t.category;
  if (t.status === effect.status && t.rejectedReason === o.reason && t.category === category) {
    await tx.update(templates).set(base).where(eq(templates.id, t.id));
    return null;
  }
  const [r] = await tx
    .update(templates)
    .set({ ...base, status: effect.status, rejectedReason: o.reason, category, updatedAt: o.now })
    .where(eq(templates.id, t.id))
    .returning();
  await audit(tx, o.actorId ?? null, "template.status_changed", r, {
    name: r.name,
    language: r.language,
    from: t.status,
    to: r.status,
    reason: o.reason,
    event: o.event,
    source: o.source,
    ...(category !== t.category ? { categoryFrom: t.category, categoryTo: category } : {}),
  });
  return changeOf(r);
}

/** JSON with object keys sorted: jsonb does not keep key order, so plain stringify would differ. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

export type SyncReport = {
  wabas: Array<{
    wabaId: string;
    ok: boolean;
    /** Templates Meta has that were not here. */
    imported: number;
    /** Rows whose status, category, quality or content changed. */
    updated: number;
    /** Rows Meta no longer lists (deleted on Meta): soft-deleted here. */
    removed: number;
    error?: string;
  }>;
};

/**
 * Reconciles our templates with Meta's list, per WABA: imports templates made
 * elsewhere (WhatsApp Manager), updates statuses / categories / quality /
 * components, and soft-deletes ones Meta no longer has. A WABA whose list
 * fails is reported and left as it was. `actor` null means the worker.
 */
export async function syncTemplates(
  db: DbOrTx,
  actor: Actor | null,
  opts: { wabaId?: string; now?: Date } = {},
): Promise<SyncReport> {
  if (actor) authorize(actor, ADMIN, "sync");
  const wabaRows = await db
    .selectDistinct({ wabaId: inboxes.wabaId })
    .from(inboxes)
    .where(opts.wabaId ? eq(inboxes.wabaId, opts.wabaId) : undefined);
  if (opts.wabaId && wabaRows.length === 0) {
    throw new AppError("not_found", `No inbox belongs to the WhatsApp account ${opts.wabaId}.`);
  }
  const report: SyncReport = { wabas: [] };
  const changes: TemplateChange[] = [];
  for (const { wabaId } of wabaRows) {
    try {
      const creds = await credentialsFor(db, wabaId);
      const remote = await listMessageTemplates(creds);
      const r = await reconcile(db, wabaId, remote, actor?.id ?? null, opts.now ?? new Date());
      changes.push(...r.changes);
      report.wabas.push({ wabaId, ok: true, imported: r.imported, updated: r.updated, removed: r.removed });
      log.info("templates.synced", { wabaId, imported: r.imported, updated: r.updated, removed: r.removed });
    } catch (err) {
      const appErr = templateErrorToAppError(err);
      log.warn("templates.sync_failed", { wabaId, message: appErr.message });
      report.wabas.push({ wabaId, ok: false, imported: 0, updated: 0, removed: 0, error: appErr.message });
    }
  }
  emitTemplateChanges(changes);
  return report;
}

async function reconcile(
  db: DbOrTx,
  wabaId: string,
  remote: MetaTemplate[],
  actorId: string | null,
  now: Date,
): Promise<{ imported: number; updated: number; removed: number; changes: TemplateChange[] }> {
  return db.transaction(async (tx) => {
    // Serialises syncs and webhooks touching this WABA's rows within the transaction.
    const local = await tx.select().from(templates).where(eq(templates.wabaId, wabaId)).for("update");
    const byKey = new Map(local.map((t) => [`${t.name}|${t.language}`, t]));
    const seen = new Set<string>();
    const changes: TemplateChange[] = [];
    let imported = 0;
    let updated = 0;
    let removed = 0;

    for (const m of remote) {
      const language = normalizeLanguage(m.language);
      const key = `${m.name}|${language}`;
      const effect = statusEffect(m.status);
      if (!effect) log.warn("templates.sync_unknown_status", { wabaId, name: m.name, status: m.status });
      const components = storedComponentsFromMeta(m.category, m.components ?? []);
      const quality = m.quality_score?.score ?? null;
      const existing = byKey.get(key);
      if (effect?.kind === "deleted") continue;
      seen.add(key);
      const status: TemplateStatus =
        effect?.kind === "status" ? effect.status : (existing?.status ?? "PENDING");
      const reason = statusReason(status, m.rejected_reason ?? null);

      // Unknown here, or deleted here long ago and made again on Meta (a new id): import.
      if (!existing || (existing.deletedAt && existing.metaId !== String(m.id))) {
        const values = {
          inboxId: null,
          wabaId,
          metaId: String(m.id),
          name: m.name,
          language,
          category: m.category.toUpperCase(),
          status,
          rejectedReason: reason,
          qualityRating: quality,
          components,
          visibleToAgents: true,
          lastSyncedAt: now,
          deletedAt: null,
          updatedAt: now,
        };
        const [r] = await tx
          .insert(templates)
          .values(values)
          .onConflictDoUpdate({ target: [templates.wabaId, templates.name, templates.language], set: values })
          .returning();
        await audit(tx, actorId, "template.imported", r, {
          name: r.name,
          language: r.language,
          status: r.status,
          metaId: r.metaId,
          source: "sync",
        });
        changes.push(changeOf(r));
        imported++;
        continue;
      }
      if (existing.deletedAt) continue; // Deleted through us; Meta's list lags behind.

      const differs =
        existing.status !== status ||
        existing.rejectedReason !== reason ||
        existing.category !== m.category.toUpperCase() ||
        existing.qualityRating !== quality ||
        existing.metaId !== String(m.id) ||
        canonicalJson(existing.components) !== canonicalJson(components);
      if (!differs) {
        await tx.update(templates).set({ lastSyncedAt: now }).where(eq(templates.id, existing.id));
        continue;
      }
      const [r] = await tx
        .update(templates)
        .set({
          metaId: String(m.id),
          status,
          rejectedReason: reason,
          category: m.category.toUpperCase(),
          qualityRating: quality,
          components,
          lastSyncedAt: now,
          updatedAt: now,
        })
        .where(eq(templates.id, existing.id))
        .returning();
      await audit(
        tx,
        actorId,
        existing.status !== status ? "template.status_changed" : "template.synced",
        r,
        {
          name: r.name,
          language: r.language,
          from: existing.status,
          to: r.status,
          reason,
          source: "sync",
          ...(existing.category !== r.category
            ? { categoryFrom: existing.category, categoryTo: r.category }
            : {}),
          ...(existing.qualityRating !== quality
            ? { qualityFrom: existing.qualityRating, qualityTo: quality }
            : {}),
        },
      );
      changes.push(changeOf(r));
      updated++;
    }

    const vanished = local.filter((t) => !t.deletedAt && !seen.has(`${t.name}|${t.language}`));
    if (vanished.length > 0) {
      const rows = await tx
        .update(templates)
        .set({ deletedAt: now, updatedAt: now, lastSyncedAt: now })
        .where(
          inArray(
            templates.id,
            vanished.map((t) => t.id),
          ),
        )
        .returning();
      for (const r of rows) {
        await audit(tx, actorId, "template.deleted_by_meta", r, {
          name: r.name,
          language: r.language,
          source: "sync",
        });
        changes.push(changeOf(r, "DELETED"));
      }
      removed = rows.length;
    }
    return { imported, updated, removed, changes };
  });
}
