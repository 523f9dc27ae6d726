import { and, asc, eq, isNull, lte, or } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { inboxes, prices, templates, workspaceSettings } from "../../db/schema";
import type { PricingModel } from "../domain";
import { type PriceRow, priceFor } from "../pricing/rates";
import type { Actor } from "./access";
import { getThreadWindows } from "./thread-windows";
import { getThreadForUser, listMessages, type MessageView, type ThreadDetail } from "./threads";
import { listAssignableUsers } from "./users";

/** A template the picker may offer, with its price for a send to this customer now. */
export type PickerTemplate = {
  id: string;
  name: string;
  language: string;
  category: string;
  components: unknown;
  priceMicros: number;
};

/** The windows as JSON (ISO instants). */
export type WindowsJson = {
  csw: { open: boolean; expiresAt: string | null };
  fep: { open: boolean; expiresAt: string | null };
  freeText: boolean;
  conversations: {
    id: string;
    category: string;
    openedAt: string;
    expiresAt: string;
    costMicros: number;
    currency: string;
    freeReason: string | null;
  }[];
};

export type ThreadView = {
  thread: ThreadDetail;
  windows: WindowsJson;
  messages: MessageView[];
  olderCursor: string | null;
  templates: PickerTemplate[];
  pricing: { model: PricingModel; currency: string };
  assignees: { id: string; name: string; role: string }[];
  serverNow: string;
};

/** The workspace's pricing model and the price rows in force at `now`. */
export async function priceTableAt(
  db: DbOrTx,
  now: Date,
): Promise<{ model: PricingModel; rows: PriceRow[] }> {
  const [settings] = await db
    .select({ model: workspaceSettings.pricingModel })
    .from(workspaceSettings)
    .limit(1);
  const model = settings?.model ?? "cbp";
  const rows = await db
    .select()
    .from(prices)
    .where(and(eq(prices.model, model), lte(prices.effectiveFrom, now)));
  return {
    model,
    rows: rows.map((r) => ({
      category: r.category,
      market: r.market,
      micros: r.micros,
      effectiveFrom: r.effectiveFrom.getTime(),
      tierFromVolume: r.tierFromVolume,
      model: r.model,
    })),
  };
}

/**
 * Templates an agent may send on a thread of `inboxId`: APPROVED, not deleted,
 * of the inbox (or of its WhatsApp account with no inbox set), and visible to
 * agents unless the user is a supervisor or admin. Priced for `waId` at `now`.
 */
export async function pickerTemplates(
  db: DbOrTx,
  user: Actor,
  inboxId: string,
  waId: string,
  now: Date,
): Promise<{ templates: PickerTemplate[]; model: PricingModel }> {
  const [inbox] = await db.select({ wabaId: inboxes.wabaId }).from(inboxes).where(eq(inboxes.id, inboxId));
  if (!inbox) return { templates: [], model: "cbp" };
  const rows = await db
    .select({
      id: templates.id,
      name: templates.name,
      language: templates.language,
      category: templates.category,
      components: templates.components,
    })
    .from(templates)
    .where(
      and(
        eq(templates.status, "APPROVED"),
        isNull(templates.deletedAt),
        eq(templates.wabaId, inbox.wabaId),
        or(eq(templates.inboxId, inboxId), isNull(templates.inboxId)),
        user.role === "agent" ? eq(templates.visibleToAgents, true) : undefined,
      ),
    )
    .orderBy(asc(templates.category), asc(templates.name));
  const table = await priceTableAt(db, now);
  return {
    model: table.model,
    templates: rows.map((r) => ({
      ...r,
      priceMicros: priceFor(table.rows, {
        model: table.model,
        category: r.category.toLowerCase(),
        waId,
        at: now.getTime(),
      }),
    })),
  };
}

/** Everything the conversation and details panes need for one thread, in one round trip. */
export async function getThreadView(
  db: DbOrTx,
  user: Actor,
  threadId: string,
  now = new Date(),
): Promise<ThreadView> {
  const thread = await getThreadForUser(db, user, threadId);
  const [windows, page, picker, assignees] = await Promise.all([
    getThreadWindows(db, threadId, now),
    listMessages(db, threadId, { limit: 50 }),
    pickerTemplates(db, user, thread.inboxId, thread.waId, now),
    listAssignableUsers(db, thread.inboxId),
  ]);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    thread,
    windows: {
      csw: { open: windows?.csw.open ?? false, expiresAt: iso(windows?.csw.expiresAt ?? null) },
      fep: { open: windows?.fep.open ?? false, expiresAt: iso(windows?.fep.expiresAt ?? null) },
      freeText: windows?.freeText ?? false,
      conversations: (windows?.conversations ?? []).map((c) => ({
        id: c.id,
        category: c.category,
        openedAt: c.openedAt.toISOString(),
        expiresAt: c.expiresAt.toISOString(),
        costMicros: c.costMicros,
        currency: c.currency,
        freeReason: c.freeReason,
      })),
    },
    messages: page.messages,
    olderCursor: page.olderCursor,
    templates: picker.templates,
    pricing: { model: picker.model, currency: "USD" },
    assignees,
    serverNow: now.toISOString(),
  };
}
