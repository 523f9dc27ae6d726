/**
 * Campaigns: one approved template to many contacts from one business number, with the exact
 * cost preview the window engine gives before launch, paced sending that survives restarts, live
 * progress, and the engine's actual cost beside the preview afterwards.
 *
 * Lifecycle: draft → (scheduled →) running ⇄ paused → completed, or cancelled. Recipients are
 * materialised at creation (campaign_recipients, one row per wa_id): `queued` until handed to the
 * send service, then `enqueued` with their message id; `excluded` (invalid number, opted out,
 * missing variable) or `failed` (the send service refused) never send. Delivery progress is read
 * from the messages themselves.
 *
 * Restart safety: every recipient's message is created with client id `campaign:<recipient id>`
 * (unique in messages), so handing the same recipient to sendMessage twice — after a crash
 * between storing the message and marking the recipient — returns the first message instead of
 * sending a second one. The outbox then sends each stored message once.
 */
import { and, asc, desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client";
import {
  auditLog,
  campaignRecipients,
  campaigns,
  contacts,
  inboxes,
  messages,
  templates,
  threads,
  users,
  workspaceSettings,
} from "../../db/schema";
import { CSV_MAX_BYTES, csvAudience, parseCsv } from "../campaigns/csv";
import * as pacing from "../campaigns/pacing";
import {
  type CampaignPreview,
  EXCLUSION_REASONS,
  type ExclusionReason,
  type RecipientVerdict,
  summarizePreview,
  templateSendPreview,
} from "../campaigns/preview";
import { zonedTimeToUtc } from "../campaigns/schedule";
import {
  mappingProblems,
  type RecipientContext,
  resolveParams,
  type VariableMapping,
  variableMappingSchema,
} from "../campaigns/variables";
import type { PricingModel } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";
import { isWaId } from "../phone";
import type { PriceTable } from "../pricing/rates";
import { emitTo } from "../realtime/emit";
import { rooms } from "../realtime/events";
import {
  type StoredTemplateComponent,
  type TemplateParamsInput,
  templateVariables,
} from "../whatsapp/template-params";
import type { EngineEvent } from "../windows/engine";
import { normalizeTemplateCategory } from "../windows/engine";
import { type Actor, seesAllInboxes } from "./access";
import { loadContactEvents, loadPriceTable, loadPricingModel } from "./contact-events";
import { sendMessage } from "./send-message";

export const CAMPAIGN_STATUSES = [
  "draft",
  "scheduled",
  "running",
  "paused",
  "completed",
  "cancelled",
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const RECIPIENT_STATES = ["queued", "enqueued", "excluded", "failed"] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/** Meta's default throughput per business number (messages per second); up to 1,000 when upgraded. */
export const DEFAULT_RATE_PER_SECOND = 80;
export const MAX_RATE_PER_SECOND = 1000;

export const audienceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("label"), label: z.string().trim().min(1, "Choose a label.").max(100) }),
  z.object({
    kind: z.literal("csv"),
    csv: z.string().min(1, "Upload a CSV file.").max(CSV_MAX_BYTES, "The file is larger than 5 MB."),
    filename: z.string().max(200).optional(),
    phoneColumn: z.string().max(200).optional(),
  }),
  z.object({
    kind: z.literal("recent"),
    days: z.number().int().min(1, "At least 1 day.").max(365, "At most 365 days."),
  }),
]);
export type AudienceInput = z.infer<typeof audienceSchema>;

export const campaignInputSchema = z.object({
  name: z.string().trim().min(1, "Name the campaign.").max(120),
  inboxId: z.string().uuid("Choose an inbox."),
  templateId: z.string().uuid("Choose a template."),
  audience: audienceSchema,
  variables: variableMappingSchema,
  ratePerSecond: z.number().int().min(1).max(MAX_RATE_PER_SECOND).default(DEFAULT_RATE_PER_SECOND),
});
export type CampaignInput = z.input<typeof campaignInputSchema>;

export const launchSchema = z.discriminatedUnion("when", [
  z.object({ when: z.literal("now") }),
  /** Wall-clock time in the workspace timezone, as a datetime-local input gives it. */
  z.object({ when: z.literal("later"), at: z.string().min(1, "Choose when to send.") }),
]);
export type LaunchInput = z.infer<typeof launchSchema>;

/** How the audience was chosen, as stored (the CSV itself is not kept: its rows are the recipients). */
export type AudienceSummary =
  | { kind: "label"; label: string }
  | { kind: "csv"; filename: string | null; rows: number; duplicates: number }
  | { kind: "recent"; days: number };

/** What campaigns.preview holds: how the campaign was built, and its cost previews. */
export type CampaignPlan = {
  audience: AudienceSummary;
  variables: VariableMapping;
  /** The preview the supervisor confirmed at launch. */
  preview: CampaignPreview | null;
  /** For a scheduled campaign, the preview recomputed when sending started (what the cost is compared to). */
  startPreview: CampaignPreview | null;
  /** Why the campaign paused itself, when it did (e.g. the template was paused by Meta). */
  pausedReason: string | null;
};

export type ExcludedRecipient = { waId: string; reason: ExclusionReason; detail: string };

/** A cost preview plus the first excluded recipients, for the wizard and the detail page. */
export type PreviewView = CampaignPreview & { excludedList: ExcludedRecipient[] };

const EXCLUDED_LIST_LIMIT = 500;

// ---------------------------------------------------------------------------------------------
// Input, access

function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join(".") || null;
    log.info("campaigns.invalid_input", { what, field, reason: issue?.message });
    throw new AppError("invalid_input", issue?.message ?? "Invalid input.", { field });
  }
  return r.data;
}

/** Campaigns are for supervisors and admins. */
function requireManager(actor: Actor) {
  if (!seesAllInboxes(actor)) {
    log.warn("campaigns.forbidden", { userId: actor.id, role: actor.role });
    throw new AppError("forbidden", "Only supervisors and admins can manage campaigns.");
  }
}

type TemplateRow = typeof templates.$inferSelect;
type InboxRow = { id: string; name: string; wabaId: string };

async function loadInboxAndTemplate(
  db: DbOrTx,
  inboxId: string,
  templateId: string,
): Promise<{ inbox: InboxRow; template: TemplateRow }> {
  const [inbox] = await db
    .select({ id: inboxes.id, name: inboxes.name, wabaId: inboxes.wabaId })
    .from(inboxes)
    .where(eq(inboxes.id, inboxId));
  if (!inbox) throw new AppError("not_found", "That inbox does not exist.", { field: "inboxId" });
  const [template] = await db
    .select()
    .from(templates)
    .where(
      and(
        eq(templates.id, templateId),
        eq(templates.wabaId, inbox.wabaId),
        sql`${templates.deletedAt} is null`,
      ),
    );
  if (!template) {
    throw new AppError(
      "template_not_approved",
      "This template does not exist for this inbox's WhatsApp account.",
      {
        field: "templateId",
      },
    );
  }
  if (template.status !== "APPROVED") {
    throw new AppError(
      "template_not_approved",
      `Template "${template.name}" is ${template.status.toLowerCase()}: only approved templates can be sent.`,
      { field: "templateId", status: template.status },
    );
  }
  return { inbox, template };
}

const isMarketing = (t: Pick<TemplateRow, "category">) =>
  normalizeTemplateCategory(t.category) === "marketing";

// ---------------------------------------------------------------------------------------------
// Audience → candidates

/** One audience member before (or, rebuilt from stored rows, after) the campaign is stored. */
type Candidate = {
  waId: string;
  contactId: string | null;
  line?: number;
  params: TemplateParamsInput | null;
  excluded: { reason: ExclusionReason; detail: string } | null;
};

type ContactInfo = { id: string; waId: string; profileName: string | null; optedOutMarketing: boolean };

async function contactsByWaId(db: DbOrTx, waIds: readonly string[]): Promise<Map<string, ContactInfo>> {
  const out = new Map<string, ContactInfo>();
  for (let i = 0; i < waIds.length; i += 1000) {
    const chunk = waIds.slice(i, i + 1000);
    const rows = await db
      .select({
        id: contacts.id,
        waId: contacts.waId,
        profileName: contacts.profileName,
        optedOutMarketing: contacts.optedOutMarketing,
      })
      .from(contacts)
      .where(inArray(contacts.waId, chunk));
    for (const r of rows) out.set(r.waId, r);
  }
  return out;
}

/**
 * The audience as candidates, each with its resolved template parameters or the reason it is
 * excluded. Does not write anything (contacts new to a CSV get `contactId: null`).
 */
async function resolveCandidates(
  db: DbOrTx,
  inbox: InboxRow,
  template: TemplateRow,
  audience: AudienceInput,
  mapping: VariableMapping,
  now: Date,
): Promise<{ candidates: Candidate[]; summary: AudienceSummary }> {
  const vars = templateVariables(template.components as StoredTemplateComponent[]);
  const marketing = isMarketing(template);
  const candidates: Candidate[] = [];
  const consider = (info: ContactInfo | null, ctx: RecipientContext, line?: number) => {
    const base = { waId: ctx.waId, contactId: info?.id ?? null, line };
    if (!isWaId(ctx.waId)) {
      candidates.push({
        ...base,
        params: null,
        excluded: { reason: "invalid_number", detail: "Not a valid WhatsApp number." },
      });
      return;
    }
    if (marketing && info?.optedOutMarketing) {
      candidates.push({
        ...base,
        params: null,
        excluded: { reason: "opted_out", detail: "Opted out of marketing messages." },
      });
      return;
    }
    const p = resolveParams(vars, mapping, ctx);
    if (!p.ok) {
      candidates.push({
        ...base,
        params: null,
        excluded: { reason: "missing_variable", detail: `No value for ${p.missing.join(", ")}.` },
      });
      return;
    }
    candidates.push({ ...base, params: p.input, excluded: null });
  };

  if (audience.kind === "csv") {
    const parsed = parseCsv(audience.csv);
    if (!parsed.ok) throw new AppError("invalid_input", parsed.message, { field: "audience.csv" });
    const read = csvAudience(parsed.table, { phoneColumn: audience.phoneColumn });
    if (!read.ok) throw new AppError("invalid_input", read.message, { field: "audience.phoneColumn" });
    const a = read.audience;
    const problems = mappingProblems(vars, mapping, a.variableColumns);
    if (problems.length) throw new AppError("template_params", problems[0], { field: "variables", problems });
    const known = await contactsByWaId(
      db,
      a.rows.filter((r) => r.waId && !r.problem).map((r) => r.waId!),
    );
    let duplicates = 0;
    for (const r of a.rows) {
      if (r.problem?.reason === "duplicate") {
        duplicates++;
        continue;
      }
      if (r.problem || !r.waId) {
        candidates.push({
          waId: r.raw || `(empty, line ${r.line})`,
          contactId: null,
          line: r.line,
          params: null,
          excluded: {
            reason: "invalid_number",
            detail: `Line ${r.line}: ${r.problem?.message ?? "no number"}`,
          },
        });
        continue;
      }
      const info = known.get(r.waId) ?? null;
      consider(info, { waId: r.waId, profileName: info?.profileName ?? null, values: r.values }, r.line);
    }
    return {
      candidates,
      summary: { kind: "csv", filename: audience.filename ?? null, rows: a.rows.length, duplicates },
    };
  }

  const problems = mappingProblems(vars, mapping, null);
  if (problems.length) throw new AppError("template_params", problems[0], { field: "variables", problems });
  const rows =
    audience.kind === "label"
      ? await db
          .select({
            id: contacts.id,
            waId: contacts.waId,
            profileName: contacts.profileName,
            optedOutMarketing: contacts.optedOutMarketing,
          })
          .from(contacts)
          .where(sql`${contacts.labels} @> array[${audience.label}]::text[]`)
          .orderBy(asc(contacts.createdAt), asc(contacts.id))
      : await db
          .selectDistinct({
            id: contacts.id,
            waId: contacts.waId,
            profileName: contacts.profileName,
            optedOutMarketing: contacts.optedOutMarketing,
          })
          .from(contacts)
          .innerJoin(threads, eq(threads.contactId, contacts.id))
          .where(
            and(
              eq(threads.inboxId, inbox.id),
              gte(threads.lastInboundAt, new Date(now.getTime() - audience.days * 86_400_000)),
            ),
          );
  for (const c of rows) consider(c, { waId: c.waId, profileName: c.profileName });
  return {
    candidates,
    summary:
      audience.kind === "label"
        ? { kind: "label", label: audience.label }
        : { kind: "recent", days: audience.days },
  };
}

// ---------------------------------------------------------------------------------------------
// Preview

/** Parallel loads of contact histories: enough to hide latency, few enough to leave the pool alone. */
const LOAD_CONCURRENCY = 4;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Contacts (of `contactIds`) that have any thread with a number of this WhatsApp account. */
async function contactsWithHistory(
  db: DbOrTx,
  wabaId: string,
  contactIds: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < contactIds.length; i += 1000) {
    const chunk = contactIds.slice(i, i + 1000);
    const rows = await db
      .selectDistinct({ id: threads.contactId })
      .from(threads)
      .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
      .where(and(eq(inboxes.wabaId, wabaId), inArray(threads.contactId, chunk)));
    for (const r of rows) out.add(r.id);
  }
  return out;
}

/**
 * The engine's verdict for every candidate at `now`: each contact's stored history with this
 * account (loadContactEvents, the same events refreshThreadState replays) and the price table.
 */
async function assess(
  db: DbOrTx,
  wabaId: string,
  template: TemplateRow,
  candidates: readonly Candidate[],
  now: Date,
  pricing?: { model: PricingModel; table: PriceTable },
): Promise<{ verdicts: RecipientVerdict[]; model: PricingModel }> {
  const model = pricing?.model ?? (await loadPricingModel(db));
  const table = pricing?.table ?? (await loadPriceTable(db));
  const ids = candidates.filter((c) => !c.excluded && c.contactId).map((c) => c.contactId!);
  const withHistory = await contactsWithHistory(db, wabaId, ids);
  const histories = new Map<string, EngineEvent[]>();
  await mapLimit([...withHistory], LOAD_CONCURRENCY, async (contactId) => {
    histories.set(contactId, (await loadContactEvents(db, { contactId, wabaId })).events);
  });
  const verdicts = candidates.map((c): RecipientVerdict => {
    if (c.excluded) return { waId: c.waId, excluded: c.excluded.reason, detail: c.excluded.detail };
    const events = (c.contactId && histories.get(c.contactId)) || [];
    const p = templateSendPreview(events, now.getTime(), {
      category: template.category,
      waId: c.waId,
      model,
      table,
    });
    return { waId: c.waId, effect: p.effect };
  });
  return { verdicts, model };
}

function toView(preview: CampaignPreview, verdicts: readonly RecipientVerdict[]): PreviewView {
  const excludedList: ExcludedRecipient[] = [];
  for (const v of verdicts) {
    if (!("excluded" in v)) continue;
    if (excludedList.length >= EXCLUDED_LIST_LIMIT) break;
    excludedList.push({ waId: v.waId, reason: v.excluded, detail: v.detail });
  }
  return { ...preview, excludedList };
}

/**
 * The cost preview of a campaign that is not stored yet (the wizard's "Preview" step): the same
 * resolution and engine verdicts as after creation, without writing anything.
 */
export async function previewNewCampaign(
  db: DbOrTx,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<PreviewView & { audienceSummary: AudienceSummary }> {
  requireManager(actor);
  const args = parseInput(campaignInputSchema, input, "preview");
  const { inbox, template } = await loadInboxAndTemplate(db, args.inboxId, args.templateId);
  const { candidates, summary } = await resolveCandidates(
    db,
    inbox,
    template,
    args.audience,
    args.variables,
    now,
  );
  const { verdicts, model } = await assess(db, inbox.wabaId, template, candidates, now);
  const preview = summarizePreview(verdicts, { model, category: template.category, at: now.getTime() });
  return { ...toView(preview, verdicts), audienceSummary: summary };
}

const EXCLUDED_SEP = ": ";

/** Stored form of an exclusion in campaign_recipients.error: "<reason>: <detail>". */
function excludedError(reason: ExclusionReason, detail: string): string {
  return `${reason}${EXCLUDED_SEP}${detail}`;
}

function parseExcludedError(error: string | null): { reason: ExclusionReason; detail: string } {
  const i = (error ?? "").indexOf(EXCLUDED_SEP);
  const reason = i > 0 ? error!.slice(0, i) : "";
  if ((EXCLUSION_REASONS as readonly string[]).includes(reason)) {
    return { reason: reason as ExclusionReason, detail: error!.slice(i + EXCLUDED_SEP.length) };
  }
  return { reason: "invalid_number", detail: error ?? "" };
}

/**
 * A stored campaign's preview over its recipients still to send (all of them before launch), at
 * `now`. A queued contact who opted out since the campaign was created counts as excluded (the
 * sender will skip them).
 */
export async function previewCampaign(
  db: DbOrTx,
  campaignId: string,
  now: Date = new Date(),
): Promise<PreviewView> {
  const c = await requireCampaign(db, campaignId);
  const [template] = await db.select().from(templates).where(eq(templates.id, c.templateId));
  const [inbox] = await db.select({ wabaId: inboxes.wabaId }).from(inboxes).where(eq(inboxes.id, c.inboxId));
  const marketing = isMarketing(template);
  const rows = await db
    .select({
      waId: campaignRecipients.waId,
      contactId: campaignRecipients.contactId,
      state: campaignRecipients.state,
      error: campaignRecipients.error,
      optedOut: contacts.optedOutMarketing,
    })
    .from(campaignRecipients)
    .leftJoin(contacts, eq(contacts.id, campaignRecipients.contactId))
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        inArray(campaignRecipients.state, ["queued", "excluded"]),
      ),
    )
    .orderBy(asc(campaignRecipients.id));
  const candidates: Candidate[] = rows.map((r) => {
    if (r.state === "excluded")
      return { waId: r.waId, contactId: r.contactId, params: null, excluded: parseExcludedError(r.error) };
    if (marketing && r.optedOut) {
      return {
        waId: r.waId,
        contactId: r.contactId,
        params: null,
        excluded: { reason: "opted_out", detail: "Opted out of marketing messages." },
      };
    }
    return { waId: r.waId, contactId: r.contactId, params: null, excluded: null };
  });
  const { verdicts, model } = await assess(db, inbox.wabaId, template, candidates, now);
  return toView(
    summarizePreview(verdicts, { model, category: template.category, at: now.getTime() }),
    verdicts,
  );
}

// ---------------------------------------------------------------------------------------------
// Create, launch, pause, resume, cancel

type CampaignRow = typeof campaigns.$inferSelect;

async function requireCampaign(db: DbOrTx, campaignId: string): Promise<CampaignRow> {
  if (!z.string().uuid().safeParse(campaignId).success)
    throw new AppError("not_found", "Campaign not found.");
  const [c] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!c) throw new AppError("not_found", "Campaign not found.");
  return c;
}

function planOf(c: Pick<CampaignRow, "preview">): CampaignPlan {
  const p = (c.preview ?? {}) as Partial<CampaignPlan>;
  return {
    audience: p.audience ?? { kind: "label", label: "" },
    variables: p.variables ?? { body: {}, header: {}, buttons: {} },
    preview: p.preview ?? null,
    startPreview: p.startPreview ?? null,
    pausedReason: p.pausedReason ?? null,
  };
}

async function audit(db: DbOrTx, actor: Actor | null, action: string, campaignId: string, data: object) {
  await db.insert(auditLog).values({
    actorUserId: actor?.id ?? null,
    action,
    targetType: "campaign",
    targetId: campaignId,
    data,
  });
}

/**
 * Creates a draft campaign: resolves the audience (CSV numbers become contacts), each recipient's
 * template variables, and stores one recipient row per number — excluded ones with their reason.
 * Returns the campaign id and its preview at `now`.
 */
export async function createCampaign(
  db: Db,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<{ campaignId: string; preview: PreviewView }> {
  requireManager(actor);
  const args = parseInput(campaignInputSchema, input, "create");
  const { inbox, template } = await loadInboxAndTemplate(db, args.inboxId, args.templateId);
  const { candidates, summary } = await resolveCandidates(
    db,
    inbox,
    template,
    args.audience,
    args.variables,
    now,
  );
  if (candidates.length === 0) {
    throw new AppError("invalid_input", "The audience is empty: nobody matches.", { field: "audience" });
  }

  const campaignId = await db.transaction(async (tx) => {
    // CSV numbers we did not know become contacts, so threads and the engine can refer to them.
    const newWaIds = candidates.filter((c) => !c.excluded && !c.contactId).map((c) => c.waId);
    for (let i = 0; i < newWaIds.length; i += 1000) {
      await tx
        .insert(contacts)
        .values(newWaIds.slice(i, i + 1000).map((waId) => ({ waId })))
        .onConflictDoNothing({ target: contacts.waId });
    }
    if (newWaIds.length > 0) {
      const ids = await contactsByWaId(tx, newWaIds);
      for (const c of candidates) if (!c.contactId && !c.excluded) c.contactId = ids.get(c.waId)?.id ?? null;
    }
    const plan: CampaignPlan = {
      audience: summary,
      variables: args.variables,
      preview: null,
      startPreview: null,
      pausedReason: null,
    };
    const [row] = await tx
      .insert(campaigns)
      .values({
        name: args.name,
        inboxId: inbox.id,
        templateId: template.id,
        status: "draft",
        ratePerSecond: args.ratePerSecond,
        preview: plan,
        createdByUserId: actor.id,
      })
      .returning({ id: campaigns.id });
    for (let i = 0; i < candidates.length; i += 1000) {
      await tx
        .insert(campaignRecipients)
        .values(
          candidates.slice(i, i + 1000).map((c) => ({
            campaignId: row.id,
            contactId: c.contactId,
            waId: c.waId,
            params: c.params,
            state: c.excluded ? "excluded" : "queued",
            error: c.excluded ? excludedError(c.excluded.reason, c.excluded.detail) : null,
          })),
        )
        .onConflictDoNothing({ target: [campaignRecipients.campaignId, campaignRecipients.waId] });
    }
    await audit(tx, actor, "campaign.create", row.id, {
      name: args.name,
      inboxId: inbox.id,
      templateId: template.id,
      audience: summary,
      recipients: candidates.length,
    });
    return row.id;
  });
  log.info("campaigns.created", { campaignId, userId: actor.id, recipients: candidates.length });
  const preview = await previewCampaign(db, campaignId, now);
  return { campaignId, preview };
}

/** The workspace's IANA timezone (schedules are typed in it). */
export async function workspaceTimezone(db: DbOrTx): Promise<string> {
  const [s] = await db.select({ tz: workspaceSettings.timezone }).from(workspaceSettings).limit(1);
  return s?.tz ?? "America/Sao_Paulo";
}

/**
 * Launches a draft (or reschedules a scheduled) campaign: now, or at a wall-clock time in the
 * workspace timezone. The preview at this moment is stored: it is what the supervisor confirmed.
 */
export async function launchCampaign(
  db: Db,
  actor: Actor,
  campaignId: string,
  input: unknown,
  now: Date = new Date(),
): Promise<CampaignRow> {
  requireManager(actor);
  const args = parseInput(launchSchema, input, "launch");
  const c = await requireCampaign(db, campaignId);
  if (c.status !== "draft" && c.status !== "scheduled") {
    throw new AppError(
      "conflict",
      `This campaign is ${c.status}: only a draft or scheduled campaign can be launched.`,
    );
  }
  // The template may have been paused or disabled since the campaign was created.
  await loadInboxAndTemplate(db, c.inboxId, c.templateId);
  let scheduledAt: Date | null = null;
  if (args.when === "later") {
    const tz = await workspaceTimezone(db);
    const at = zonedTimeToUtc(args.at, tz);
    if (!at.ok) throw new AppError("invalid_input", at.message, { field: "at" });
    if (at.at.getTime() <= now.getTime() + 60_000) {
      throw new AppError("invalid_input", `Choose a time at least a minute from now (${tz}).`, {
        field: "at",
      });
    }
    scheduledAt = at.at;
  }
  const preview = await previewCampaign(db, campaignId, now);
  const { excludedList: _list, ...summary } = preview;
  const plan: CampaignPlan = { ...planOf(c), preview: summary, startPreview: null, pausedReason: null };
  const status: CampaignStatus = scheduledAt ? "scheduled" : "running";
  const [row] = await db
    .update(campaigns)
    .set({ status, scheduledAt, startedAt: scheduledAt ? null : now, preview: plan })
    .where(and(eq(campaigns.id, campaignId), inArray(campaigns.status, ["draft", "scheduled"])))
    .returning();
  if (!row) throw new AppError("conflict", "Someone changed this campaign in the meantime.");
  await audit(db, actor, scheduledAt ? "campaign.schedule" : "campaign.launch", campaignId, {
    scheduledAt: scheduledAt?.toISOString() ?? null,
    previewTotalMicros: summary.totalCostMicros,
  });
  log.info("campaigns.launched", {
    campaignId,
    userId: actor.id,
    status,
    scheduledAt: scheduledAt?.toISOString(),
  });
  await emitProgress(db, campaignId);
  kickCampaignSender();
  return row;
}

async function transition(
  db: Db,
  actor: Actor,
  campaignId: string,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  verb: string,
): Promise<CampaignRow> {
  requireManager(actor);
  const c = await requireCampaign(db, campaignId);
  const plan = { ...planOf(c), pausedReason: null };
  const [row] = await db
    .update(campaigns)
    .set({
      status: to,
      preview: plan,
      ...(to === "cancelled" ? { finishedAt: new Date() } : {}),
      ...(to === "running" && !c.startedAt ? { startedAt: new Date() } : {}),
    })
    .where(and(eq(campaigns.id, campaignId), inArray(campaigns.status, [...from])))
    .returning();
  if (!row) {
    log.info("campaigns.transition_refused", { campaignId, from: c.status, to });
    throw new AppError("conflict", `This campaign is ${c.status}: it cannot be ${verb}.`);
  }
  await audit(db, actor, `campaign.${verb}`, campaignId, { from: c.status });
  log.info(`campaigns.${verb}`, { campaignId, userId: actor.id });
  await emitProgress(db, campaignId);
  if (to === "running") kickCampaignSender();
  return row;
}

/** Stops handing recipients to the outbox (messages already handed over still go). */
export function pauseCampaign(db: Db, actor: Actor, campaignId: string) {
  return transition(db, actor, campaignId, ["running", "scheduled"], "paused", "paused");
}

/** A paused campaign goes back to running, or to scheduled if its time has not come yet. */
export async function resumeCampaign(db: Db, actor: Actor, campaignId: string) {
  const c = await requireCampaign(db, campaignId);
  const notYet = !c.startedAt && c.scheduledAt !== null && c.scheduledAt.getTime() > Date.now();
  return transition(db, actor, campaignId, ["paused"], notYet ? "scheduled" : "running", "resumed");
}

/** Nobody else is sent to; the recipients left stay `queued` for the record. */
export function cancelCampaign(db: Db, actor: Actor, campaignId: string) {
  return transition(
    db,
    actor,
    campaignId,
    ["draft", "scheduled", "running", "paused"],
    "cancelled",
    "cancelled",
  );
}

// ---------------------------------------------------------------------------------------------
// Progress and results

export type CampaignProgress = {
  campaignId: string;
  status: CampaignStatus;
  audience: number;
  excluded: number;
  /** Not handed to the outbox yet. */
  queued: number;
  /** Handed over, not yet accepted by WhatsApp. */
  pending: number;
  /** Cumulative: accepted by WhatsApp (sent, delivered or read). */
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  /** Recipients who wrote back after the campaign message. */
  replied: number;
  failures: Array<{ reason: string; count: number }>;
  /** The engine's cost of the campaign's messages so far: CBP conversations they opened, or PMP messages. */
  actualCostMicros: number;
  /** CBP: conversations opened by the campaign's messages (what the preview called "opens"). */
  actualNewConversations: number;
  model: PricingModel;
};

/** Live and final numbers of a campaign. */
export async function getCampaignProgress(db: DbOrTx, campaignId: string): Promise<CampaignProgress> {
  const c = await requireCampaign(db, campaignId);
  const counts = await db
    .select({
      state: campaignRecipients.state,
      status: messages.status,
      n: sql<number>`count(*)::int`,
    })
    .from(campaignRecipients)
    .leftJoin(messages, eq(messages.id, campaignRecipients.messageId))
    .where(eq(campaignRecipients.campaignId, campaignId))
    .groupBy(campaignRecipients.state, messages.status);
  const p: CampaignProgress = {
    campaignId,
    status: c.status as CampaignStatus,
    audience: 0,
    excluded: 0,
    queued: 0,
    pending: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    failed: 0,
    replied: 0,
    failures: [],
    actualCostMicros: 0,
    actualNewConversations: 0,
    model: await loadPricingModel(db),
  };
  for (const r of counts) {
    p.audience += r.n;
    if (r.state === "excluded") p.excluded += r.n;
    else if (r.state === "queued") p.queued += r.n;
    else if (r.state === "failed") p.failed += r.n;
    else if (r.status === "pending" || r.status === null) p.pending += r.n;
    else if (r.status === "failed") p.failed += r.n;
    else {
      p.sent += r.n;
      if (r.status === "delivered" || r.status === "read") p.delivered += r.n;
      if (r.status === "read") p.read += r.n;
    }
  }

  const failures = await db.execute<{ reason: string; n: number }>(sql`
    select coalesce(m.error_text, r.error, 'Unknown error') as reason, count(*)::int as n
      from campaign_recipients r
      left join messages m on m.id = r.message_id
     where r.campaign_id = ${campaignId}
       and (r.state = 'failed' or (r.state = 'enqueued' and m.status = 'failed'))
     group by 1 order by 2 desc limit 20`);
  p.failures = failures.map((f) => ({ reason: f.reason, count: Number(f.n) }));

  const [replied] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n
      from campaign_recipients r
      join messages m on m.id = r.message_id
     where r.campaign_id = ${campaignId}
       and exists (select 1 from messages i
                    where i.thread_id = m.thread_id and i.direction = 'inbound' and i.at > m.at)`);
  p.replied = Number(replied?.n ?? 0);

  if (p.model === "pmp") {
    const [cost] = await db.execute<{ micros: string | number }>(sql`
      select coalesce(sum(m.cost_micros), 0) as micros
        from campaign_recipients r join messages m on m.id = r.message_id
       where r.campaign_id = ${campaignId}`);
    p.actualCostMicros = Number(cost?.micros ?? 0);
  } else {
    // billing_conversations is indexed by contact; the opening message ties a conversation to the campaign.
    const [cost] = await db.execute<{ micros: string | number; n: number }>(sql`
      select coalesce(sum(b.cost_micros), 0) as micros, count(*)::int as n
        from campaign_recipients r
        join billing_conversations b on b.contact_id = r.contact_id and b.opened_by_message_id = r.message_id
       where r.campaign_id = ${campaignId}`);
    p.actualCostMicros = Number(cost?.micros ?? 0);
    p.actualNewConversations = Number(cost?.n ?? 0);
  }
  return p;
}

/** Emits a campaign's progress to supervisors and admins. Call after the commit. */
export async function emitProgress(db: DbOrTx, campaignId: string): Promise<CampaignProgress> {
  const p = await getCampaignProgress(db, campaignId);
  emitTo([rooms.role("supervisor"), rooms.role("admin")], "campaign:progress", {
    campaignId,
    counts: progressCounts(p),
  });
  return p;
}

/** The numeric part of a progress, as the `campaign:progress` event carries it. */
export function progressCounts(p: CampaignProgress): Record<string, number> {
  return {
    audience: p.audience,
    excluded: p.excluded,
    queued: p.queued,
    pending: p.pending,
    sent: p.sent,
    delivered: p.delivered,
    read: p.read,
    failed: p.failed,
    replied: p.replied,
    actualCostMicros: p.actualCostMicros,
    actualNewConversations: p.actualNewConversations,
  };
}

export type CampaignListItem = {
  id: string;
  name: string;
  status: CampaignStatus;
  inboxName: string;
  templateName: string;
  templateCategory: string;
  createdAt: string;
  scheduledAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  recipients: number;
  handed: number;
  previewTotalMicros: number | null;
};

export async function listCampaigns(db: DbOrTx, actor: Actor, limit = 100): Promise<CampaignListItem[]> {
  requireManager(actor);
  const rows = await db
    .select({
      id: campaigns.id,
      name: campaigns.name,
      status: campaigns.status,
      inboxName: inboxes.name,
      templateName: templates.name,
      templateCategory: templates.category,
      createdAt: campaigns.createdAt,
      scheduledAt: campaigns.scheduledAt,
      startedAt: campaigns.startedAt,
      finishedAt: campaigns.finishedAt,
      preview: campaigns.preview,
      recipients: sql<number>`(select count(*)::int from campaign_recipients r where r.campaign_id = ${campaigns.id} and r.state <> 'excluded')`,
      handed: sql<number>`(select count(*)::int from campaign_recipients r where r.campaign_id = ${campaigns.id} and r.state = 'enqueued')`,
    })
    .from(campaigns)
    .innerJoin(inboxes, eq(inboxes.id, campaigns.inboxId))
    .innerJoin(templates, eq(templates.id, campaigns.templateId))
    .orderBy(desc(campaigns.createdAt))
    .limit(limit);
  return rows.map((r) => {
    const plan = planOf(r);
    return {
      id: r.id,
      name: r.name,
      status: r.status as CampaignStatus,
      inboxName: r.inboxName,
      templateName: r.templateName,
      templateCategory: r.templateCategory,
      createdAt: r.createdAt.toISOString(),
      scheduledAt: r.scheduledAt?.toISOString() ?? null,
      startedAt: r.startedAt?.toISOString() ?? null,
      finishedAt: r.finishedAt?.toISOString() ?? null,
      recipients: r.recipients,
      handed: r.handed,
      previewTotalMicros: (plan.startPreview ?? plan.preview)?.totalCostMicros ?? null,
    };
  });
}

export type CampaignDetail = {
  id: string;
  name: string;
  status: CampaignStatus;
  inbox: { id: string; name: string };
  template: { id: string; name: string; language: string; category: string };
  ratePerSecond: number;
  createdAt: string;
  createdByName: string | null;
  scheduledAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  plan: CampaignPlan;
  progress: CampaignProgress;
  timezone: string;
};

export async function getCampaignDetail(
  db: DbOrTx,
  actor: Actor,
  campaignId: string,
): Promise<CampaignDetail> {
  requireManager(actor);
  const c = await requireCampaign(db, campaignId);
  const [inbox] = await db
    .select({ id: inboxes.id, name: inboxes.name })
    .from(inboxes)
    .where(eq(inboxes.id, c.inboxId));
  const [template] = await db
    .select({
      id: templates.id,
      name: templates.name,
      language: templates.language,
      category: templates.category,
    })
    .from(templates)
    .where(eq(templates.id, c.templateId));
  const [creator] = c.createdByUserId
    ? await db.select({ name: users.name }).from(users).where(eq(users.id, c.createdByUserId))
    : [];
  return {
    id: c.id,
    name: c.name,
    status: c.status as CampaignStatus,
    inbox,
    template,
    ratePerSecond: c.ratePerSecond,
    createdAt: c.createdAt.toISOString(),
    createdByName: creator?.name ?? null,
    scheduledAt: c.scheduledAt?.toISOString() ?? null,
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    plan: planOf(c),
    progress: await getCampaignProgress(db, campaignId),
    timezone: await workspaceTimezone(db),
  };
}

export type RecipientRow = {
  waId: string;
  contactName: string | null;
  state: RecipientState;
  status: string | null;
  error: string | null;
};

/** Recipients of one kind, for the detail page's lists (excluded, failed, or all). */
export async function listCampaignRecipients(
  db: DbOrTx,
  actor: Actor,
  campaignId: string,
  filter: "excluded" | "failed" | "all",
  limit = 200,
): Promise<RecipientRow[]> {
  requireManager(actor);
  const where =
    filter === "excluded"
      ? sql`${campaignRecipients.state} = 'excluded'`
      : filter === "failed"
        ? sql`(${campaignRecipients.state} = 'failed' or ${messages.status} = 'failed')`
        : sql`true`;
  const rows = await db
    .select({
      waId: campaignRecipients.waId,
      contactName: contacts.profileName,
      state: campaignRecipients.state,
      status: messages.status,
      error: sql<string | null>`coalesce(${messages.errorText}, ${campaignRecipients.error})`,
    })
    .from(campaignRecipients)
    .leftJoin(messages, eq(messages.id, campaignRecipients.messageId))
    .leftJoin(contacts, eq(contacts.id, campaignRecipients.contactId))
    .where(and(eq(campaignRecipients.campaignId, campaignId), where))
    .orderBy(asc(campaignRecipients.waId))
    .limit(Math.min(1000, Math.max(1, limit)));
  return rows.map((r) => ({ ...r, state: r.state as RecipientState }));
}

/** Every contact label in use, for the audience picker (with how many contacts carry it). */
export async function listContactLabels(db: DbOrTx): Promise<Array<{ label: string; contacts: number }>> {
  const rows = await db.execute<{ label: string; n: number }>(sql`
    select l as label, count(*)::int as n from contacts, unnest(labels) as l group by l order by l`);
  return rows.map((r) => ({ label: r.label, contacts: Number(r.n) }));
}

// ---------------------------------------------------------------------------------------------
// Sending

/** Client id of a recipient's message: the unique key that makes a repeated hand-over a no-op. */
export function campaignClientId(recipientId: string): string {
  return `campaign:${recipientId}`;
}

/** Parallel sendMessage calls per round (different threads). */
const SEND_CONCURRENCY = 6;
/** At most this many recipients per campaign per round, so a pause or a 130429 takes effect quickly. */
const MAX_BATCH = 100;
/** A running campaign's progress is emitted at most this often (ms). */
const PROGRESS_EVERY_MS = 1000;

export type SenderState = {
  /** Only campaigns of these inboxes (tests; default all). */
  inboxIds?: readonly string[];
  /** One pacer per business number: throughput is Meta's limit per number. */
  pacers: Map<string, pacing.Pacer>;
  /** Last emitted progress per campaign, to emit only changes. */
  lastProgress: Map<string, { at: number; json: string }>;
};

export function newSenderState(opts: { inboxIds?: readonly string[] } = {}): SenderState {
  return { inboxIds: opts.inboxIds, pacers: new Map(), lastProgress: new Map() };
}

/** SQL condition limiting campaigns to the sender's inboxes. */
function inboxScope(state: SenderState) {
  if (!state.inboxIds) return sql`true`;
  if (state.inboxIds.length === 0) return sql`false`;
  return inArray(campaigns.inboxId, [...state.inboxIds]);
}

/**
 * The threads of a batch of recipients in the campaign's inbox, created where missing, by contact
 * id. A campaign must not flood the agents' open list with a thousand unanswered threads, so a
 * new thread starts resolved; the customer's reply reopens it (webhook ingest does).
 */
async function campaignThreads(
  db: DbOrTx,
  inboxId: string,
  contactIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (contactIds.length === 0) return out;
  await db
    .insert(threads)
    .values(contactIds.map((contactId) => ({ inboxId, contactId, status: "resolved" as const })))
    .onConflictDoNothing({ target: [threads.inboxId, threads.contactId] });
  const rows = await db
    .select({ id: threads.id, contactId: threads.contactId })
    .from(threads)
    .where(and(eq(threads.inboxId, inboxId), inArray(threads.contactId, [...contactIds])));
  for (const r of rows) out.set(r.contactId, r.id);
  return out;
}

type Running = Pick<
  CampaignRow,
  "id" | "inboxId" | "templateId" | "ratePerSecond" | "createdByUserId" | "preview"
>;

/**
 * Hands up to `limit` queued recipients of one campaign to the send service. Returns how many
 * were handed over, and whether the campaign had to pause itself (template no longer sendable).
 */
async function sendBatch(
  db: Db,
  c: Running,
  limit: number,
): Promise<{ handed: number; paused: string | null }> {
  const recipients = await db
    .select({
      id: campaignRecipients.id,
      contactId: campaignRecipients.contactId,
      waId: campaignRecipients.waId,
      params: campaignRecipients.params,
      optedOut: contacts.optedOutMarketing,
    })
    .from(campaignRecipients)
    .leftJoin(contacts, eq(contacts.id, campaignRecipients.contactId))
    .where(and(eq(campaignRecipients.campaignId, c.id), eq(campaignRecipients.state, "queued")))
    .orderBy(asc(campaignRecipients.id))
    .limit(limit);
  if (recipients.length === 0) return { handed: 0, paused: null };
  const [template] = await db
    .select({ category: templates.category })
    .from(templates)
    .where(eq(templates.id, c.templateId));
  const marketing = isMarketing(template);
  const [creator] = c.createdByUserId
    ? await db.select({ role: users.role }).from(users).where(eq(users.id, c.createdByUserId))
    : [];
  let handed = 0;
  let paused: string | null = null;
  const threadOf = await campaignThreads(db, c.inboxId, [
    ...new Set(recipients.filter((r) => r.contactId && !(marketing && r.optedOut)).map((r) => r.contactId!)),
  ]);

  await mapLimit(recipients, SEND_CONCURRENCY, async (r) => {
    if (paused) return;
    // Opt-outs are checked again at send time: a contact may have replied STOP after launch.
    if (marketing && r.optedOut) {
      await db
        .update(campaignRecipients)
        .set({
          state: "excluded",
          error: excludedError("opted_out", "Opted out of marketing messages before the send."),
        })
        .where(and(eq(campaignRecipients.id, r.id), eq(campaignRecipients.state, "queued")));
      log.info("campaigns.skipped_opted_out", { campaignId: c.id, recipientId: r.id });
      return;
    }
    const threadId = r.contactId ? threadOf.get(r.contactId) : undefined;
    if (!threadId) {
      await db
        .update(campaignRecipients)
        .set({ state: "failed", error: "The contact no longer exists." })
        .where(eq(campaignRecipients.id, r.id));
      return;
    }
    const params = (r.params ?? {}) as TemplateParamsInput;
    const result = await sendMessage(db, {
      threadId,
      actor: { userId: c.createdByUserId, role: creator?.role ?? "supervisor" },
      input: {
        type: "template",
        templateId: c.templateId,
        params: params.params,
        headerParams: params.headerParams,
        headerMedia: params.headerMedia,
        buttonParams: params.buttonParams,
      },
      clientId: campaignClientId(r.id),
      campaignId: c.id,
    });
    if (result.ok) {
      await db
        .update(campaignRecipients)
        .set({ state: "enqueued", messageId: result.message.id, error: null })
        .where(eq(campaignRecipients.id, r.id));
      handed++;
      return;
    }
    if (result.error.code === "template_not_approved") {
      // Every other recipient would fail the same way: stop and tell the supervisor.
      paused = result.error.message;
      return;
    }
    await db
      .update(campaignRecipients)
      .set({ state: "failed", error: result.error.message })
      .where(eq(campaignRecipients.id, r.id));
    log.warn("campaigns.recipient_failed", { campaignId: c.id, recipientId: r.id, code: result.error.code });
  });

  if (paused) {
    const plan = { ...planOf(c), pausedReason: paused };
    await db
      .update(campaigns)
      .set({ status: "paused", preview: plan })
      .where(and(eq(campaigns.id, c.id), eq(campaigns.status, "running")));
    await audit(db, null, "campaign.auto_paused", c.id, { reason: paused });
    log.warn("campaigns.auto_paused", { campaignId: c.id, reason: paused });
  }
  return { handed, paused };
}

/** Scheduled campaigns whose time has come start: their preview is recomputed and kept beside the launch one. */
async function startDueCampaigns(db: Db, state: SenderState, now: Date): Promise<string[]> {
  const due = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.status, "scheduled"), lte(campaigns.scheduledAt, now), inboxScope(state)));
  const started: string[] = [];
  for (const d of due) {
    const preview = await previewCampaign(db, d.id, now);
    const { excludedList: _list, ...summary } = preview;
    const [c] = await db.select({ preview: campaigns.preview }).from(campaigns).where(eq(campaigns.id, d.id));
    const [row] = await db
      .update(campaigns)
      .set({ status: "running", startedAt: now, preview: { ...planOf(c), startPreview: summary } })
      .where(and(eq(campaigns.id, d.id), eq(campaigns.status, "scheduled")))
      .returning({ id: campaigns.id });
    if (row) {
      await audit(db, null, "campaign.start", d.id, { previewTotalMicros: summary.totalCostMicros });
      log.info("campaigns.started", { campaignId: d.id });
      started.push(d.id);
    }
  }
  return started;
}

/**
 * One round of the campaign sender: starts due scheduled campaigns, then, per business number
 * with running campaigns (oldest campaign first), hands as many recipients to the send service
 * as the number's pacer allows, completes campaigns with nothing left to send, and emits progress.
 * Safe with several instances: a per-number advisory lock lets one of them send for a number at
 * a time, and client ids make a repeated hand-over a no-op.
 */
export async function runCampaignRound(db: Db, state: SenderState, now: Date = new Date()): Promise<number> {
  await startDueCampaigns(db, state, now);
  const running = await db
    .select({
      id: campaigns.id,
      inboxId: campaigns.inboxId,
      templateId: campaigns.templateId,
      ratePerSecond: campaigns.ratePerSecond,
      createdByUserId: campaigns.createdByUserId,
      preview: campaigns.preview,
    })
    .from(campaigns)
    .where(and(eq(campaigns.status, "running"), inboxScope(state)))
    .orderBy(asc(campaigns.startedAt), asc(campaigns.createdAt));
  const byInbox = new Map<string, Running[]>();
  for (const c of running) byInbox.set(c.inboxId, [...(byInbox.get(c.inboxId) ?? []), c]);
  for (const inboxId of state.pacers.keys()) if (!byInbox.has(inboxId)) state.pacers.delete(inboxId);

  let total = 0;
  for (const [inboxId, list] of byInbox) {
    total += await db.transaction(async (tx) => {
      // Held for this number's round only; another instance skips the number meanwhile.
      const [lock] = await tx.execute<{ ok: boolean }>(
        sql`select pg_try_advisory_xact_lock(hashtext(${`campaign-sender:${inboxId}`})) as ok`,
      );
      if (!lock?.ok) return 0;
      return sendForNumber(db, state, inboxId, list, Date.now());
    });
  }

  // Progress: running and recently finished campaigns, only when it changed.
  const active = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      and(
        sql`(${campaigns.status} in ('running', 'paused') or ${campaigns.finishedAt} > now() - interval '10 minutes')`,
        inboxScope(state),
      ),
    );
  const nowMs = Date.now();
  for (const { id } of active) {
    const last = state.lastProgress.get(id);
    if (last && nowMs - last.at < PROGRESS_EVERY_MS) continue;
    const p = await getCampaignProgress(db, id);
    const json = JSON.stringify(progressCounts(p)) + p.status;
    state.lastProgress.set(id, { at: nowMs, json });
    if (last?.json === json) continue;
    emitTo([rooms.role("supervisor"), rooms.role("admin")], "campaign:progress", {
      campaignId: id,
      counts: progressCounts(p),
    });
  }
  return total;
}

async function sendForNumber(
  db: Db,
  state: SenderState,
  inboxId: string,
  list: readonly Running[],
  nowMs: number,
): Promise<number> {
  const ids = list.map((c) => c.id);
  // Messages of this number's running campaigns not yet accepted by Meta. The literal
  // `status = 'pending'` lets PostgreSQL use the outbox's partial index instead of scanning messages.
  const [flight] = await db.execute<{ inflight: number; throttled: number }>(sql`
    select count(*)::int as inflight,
           count(*) filter (where m.last_error like '[130429]%')::int as throttled
      from messages m
     where m.status = 'pending' and m.next_attempt_at is not null
       and m.campaign_id in (${sql.join(
         ids.map((id) => sql`${id}::uuid`),
         sql`, `,
       )})`);
  const maxRate = Math.min(...list.map((c) => c.ratePerSecond));
  let pacer = state.pacers.get(inboxId);
  if (!pacer || pacer.maxRate !== Math.max(pacing.MIN_RATE, maxRate)) pacer = pacing.newPacer(maxRate, nowMs);
  const before = pacer.rate;
  pacer = pacing.adjust(pacing.refill(pacer, nowMs), Number(flight?.throttled ?? 0) > 0, nowMs);
  if (pacer.rate < before) {
    log.warn("campaigns.throttled", { inboxId, rate: pacer.rate, throttled: Number(flight?.throttled ?? 0) });
  }
  let allowance = pacing.budget(pacer, Number(flight?.inflight ?? 0));
  let handed = 0;
  for (const c of list) {
    if (allowance <= 0) break;
    const r = await sendBatch(db, c, Math.min(allowance, MAX_BATCH));
    handed += r.handed;
    allowance -= r.handed;
    if (r.handed === 0 && !r.paused) await completeIfDone(db, c.id);
  }
  state.pacers.set(inboxId, pacing.spend(pacer, handed));
  return handed;
}

/** A running campaign with nobody queued and nothing waiting for Meta's acceptance is complete. */
async function completeIfDone(db: Db, campaignId: string): Promise<boolean> {
  const [row] = await db
    .update(campaigns)
    .set({ status: "completed", finishedAt: sql`now()` })
    .where(
      and(
        eq(campaigns.id, campaignId),
        eq(campaigns.status, "running"),
        sql`not exists (select 1 from campaign_recipients r where r.campaign_id = ${campaignId} and r.state = 'queued')`,
        sql`not exists (select 1 from campaign_recipients r join messages m on m.id = r.message_id
                         where r.campaign_id = ${campaignId} and m.status = 'pending')`,
      ),
    )
    .returning({ id: campaigns.id });
  if (row) {
    log.info("campaigns.completed", { campaignId });
    await audit(db, null, "campaign.complete", campaignId, {});
  }
  return Boolean(row);
}

// The sender worker registers itself here so launch/resume can wake it at once (see outbox.ts).
const g = globalThis as { __waCampaignSender?: { kick: () => void } };

/** Asks this process's campaign sender to run a round now (no-op without one). */
export function kickCampaignSender(): void {
  g.__waCampaignSender?.kick();
}

/** For the worker: registers the kick target. */
export function registerCampaignSender(worker: { kick: () => void }): void {
  g.__waCampaignSender = worker;
}

/** For the worker: clears the kick target if it is still `worker` (a newer worker may have replaced it). */
export function unregisterCampaignSender(worker: { kick: () => void }): void {
  if (g.__waCampaignSender === worker) g.__waCampaignSender = undefined;
}
