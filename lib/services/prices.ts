/**
 * The workspace's price table and pricing model, edited by admins. Prices are append-only in
 * effect: a change is a new row with an effective-from instant, so last month keeps the prices it
 * was billed at; rows may be removed only while they have not priced a closed month. Every change
 * is written to audit_log; callers then re-price from the change on (scheduleBillingRecompute).
 */
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../db/client";
import { auditLog, prices, workspaceSettings } from "../../db/schema";
import { PRICING_MODELS, type PricingModel, type Role } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";

export type PriceRowView = typeof prices.$inferSelect;

/** Categories an admin can price: Meta's four, and the variants Meta reports (priced as their base unless set). */
export const PRICE_CATEGORIES = [
  "marketing",
  "utility",
  "authentication",
  "service",
  "marketing_lite",
  "authentication_international",
] as const;

/** Upper bound for one price: US$100 per conversation/message is far above any rate card (catches typos in micros). */
export const MAX_PRICE_MICROS = 100_000_000;

export const priceInputSchema = z
  .object({
    model: z.enum(PRICING_MODELS, { error: "Choose conversation-based (cbp) or per-message (pmp)." }),
    category: z.enum(PRICE_CATEGORIES, { error: `Category must be one of ${PRICE_CATEGORIES.join(", ")}.` }),
    market: z
      .string()
      .trim()
      .transform((s) => s.replace(/^\+/, ""))
      .pipe(
        z.string().regex(/^\d{1,6}$/, "Market must be a country calling-code prefix, digits only (e.g. 55)."),
      )
      .nullable()
      .optional()
      .transform((s) => s || null),
    micros: z
      .number({ error: "Price must be a number of micro-units." })
      .int("Price must be a whole number of micro-units.")
      .min(0, "Price must not be negative.")
      .max(MAX_PRICE_MICROS, "Price is above US$100: check the amount (it is per conversation or message)."),
    tierFromVolume: z
      .number()
      .int("The volume tier must be a whole number of messages.")
      .min(0, "The volume tier must not be negative.")
      .max(1_000_000_000)
      .default(0),
    effectiveFrom: z.date({ error: "Effective-from must be a date." }),
  })
  .refine((p) => p.model === "pmp" || p.tierFromVolume === 0, {
    message: "Volume tiers exist only under per-message pricing (pmp).",
    path: ["tierFromVolume"],
  });
export type PriceInput = z.input<typeof priceInputSchema>;

export type Actor = { id: string; role: Role };

function requireAdmin(actor: Actor) {
  if (actor.role !== "admin") {
    log.warn("prices.forbidden", { userId: actor.id, role: actor.role });
    throw new AppError("forbidden", "Only admins can change prices and the pricing model.");
  }
}

/** First instant of the UTC month containing `now`: months before it are closed (billed). */
export function openMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Every price row, by model, category, market, tier, effective date. */
export async function listPrices(db: DbOrTx): Promise<PriceRowView[]> {
  return db
    .select()
    .from(prices)
    .orderBy(
      asc(prices.model),
      asc(prices.category),
      asc(prices.market),
      asc(prices.tierFromVolume),
      desc(prices.effectiveFrom),
    );
}

/**
 * Adds a price effective from `effectiveFrom`. Refused (invalid_input) when it would reprice a
 * closed month (before the current UTC month) — add it from this month on instead — and
 * (conflict) when the same model/category/market/tier already has a price from that instant.
 */
export async function addPrice(
  db: DbOrTx,
  actor: Actor,
  input: PriceInput,
  opts: { now?: Date } = {},
): Promise<PriceRowView> {
  requireAdmin(actor);
  const parsed = priceInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".") || "price";
    log.info("prices.rejected", { userId: actor.id, field, reason: issue.message });
    throw new AppError("invalid_input", issue.message, { field });
  }
  const p = parsed.data;
  const now = opts.now ?? new Date();
  const open = openMonthStart(now);
  if (p.effectiveFrom.getTime() < open.getTime()) {
    const message = `A price cannot take effect before ${open.toISOString().slice(0, 10)}: that would change the costs of a month already closed. Choose a date from this month on.`;
    log.info("prices.rejected", { userId: actor.id, field: "effectiveFrom", reason: message });
    throw new AppError("invalid_input", message, { field: "effectiveFrom" });
  }
  return db.transaction(async (tx) => {
    const [dup] = await tx
      .select({ id: prices.id })
      .from(prices)
      .where(
        and(
          eq(prices.model, p.model),
          eq(prices.category, p.category),
          p.market === null ? isNull(prices.market) : eq(prices.market, p.market),
          eq(prices.tierFromVolume, p.tierFromVolume),
          eq(prices.effectiveFrom, p.effectiveFrom),
        ),
      );
    if (dup) {
      log.info("prices.rejected", { userId: actor.id, field: "effectiveFrom", reason: "duplicate" });
      throw new AppError(
        "conflict",
        "This category already has a price from that instant for the same market and tier: remove it first or pick another date.",
        { field: "effectiveFrom", priceId: dup.id },
      );
    }
    const [row] = await tx
      .insert(prices)
      .values({
        model: p.model,
        category: p.category,
        market: p.market,
        micros: p.micros,
        tierFromVolume: p.tierFromVolume,
        effectiveFrom: p.effectiveFrom,
      })
      .returning();
    await tx.insert(auditLog).values({
      actorUserId: actor.id,
      action: "prices.add",
      targetType: "price",
      targetId: row.id,
      data: { ...p, effectiveFrom: p.effectiveFrom.toISOString() },
    });
    log.info("prices.added", { userId: actor.id, priceId: row.id, model: p.model, category: p.category });
    return row;
  });
}

/** Removes a price that has not priced a closed month yet (effective from this month or later). */
export async function deletePrice(
  db: DbOrTx,
  actor: Actor,
  id: string,
  opts: { now?: Date } = {},
): Promise<PriceRowView> {
  requireAdmin(actor);
  if (!z.uuid().safeParse(id).success) throw new AppError("invalid_input", "Unknown price.", { field: "id" });
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(prices).where(eq(prices.id, id)).for("update");
    if (!row) throw new AppError("not_found", "This price no longer exists.");
    if (row.effectiveFrom.getTime() < openMonthStart(now).getTime()) {
      log.info("prices.rejected", { userId: actor.id, priceId: id, reason: "closed_month" });
      throw new AppError(
        "invalid_input",
        "This price has already been used for a closed month, so it stays. Add a new price effective from today instead.",
        { field: "id" },
      );
    }
    await tx.delete(prices).where(eq(prices.id, id));
    await tx.insert(auditLog).values({
      actorUserId: actor.id,
      action: "prices.delete",
      targetType: "price",
      targetId: id,
      data: {
        ...row,
        effectiveFrom: row.effectiveFrom.toISOString(),
        createdAt: row.createdAt.toISOString(),
      },
    });
    log.info("prices.deleted", { userId: actor.id, priceId: id });
    return row;
  });
}

/** The workspace's pricing model and when it was last saved. */
export async function getPricingSettings(
  db: DbOrTx,
): Promise<{ model: PricingModel; updatedAt: Date | null }> {
  const [s] = await db
    .select({ model: workspaceSettings.pricingModel, updatedAt: workspaceSettings.updatedAt })
    .from(workspaceSettings)
    .limit(1);
  return { model: s?.model ?? "cbp", updatedAt: s?.updatedAt ?? null };
}

/** Sets the workspace's pricing model; returns whether it changed. */
export async function setPricingModel(
  db: DbOrTx,
  actor: Actor,
  model: string,
): Promise<{ changed: boolean; from: PricingModel; to: PricingModel }> {
  requireAdmin(actor);
  if (!(PRICING_MODELS as readonly string[]).includes(model)) {
    log.info("settings.rejected", { userId: actor.id, field: "pricingModel", value: model });
    throw new AppError(
      "invalid_input",
      "The pricing model must be conversation-based (cbp) or per-message (pmp).",
      {
        field: "pricingModel",
      },
    );
  }
  const to = model as PricingModel;
  return db.transaction(async (tx) => {
    await tx.insert(workspaceSettings).values({ id: 1 }).onConflictDoNothing();
    const [current] = await tx
      .select({ model: workspaceSettings.pricingModel })
      .from(workspaceSettings)
      .where(eq(workspaceSettings.id, 1))
      .for("update");
    const from = current?.model ?? "cbp";
    if (from === to) return { changed: false, from, to };
    await tx
      .update(workspaceSettings)
      .set({ pricingModel: to, updatedAt: sql`now()` })
      .where(eq(workspaceSettings.id, 1));
    await tx.insert(auditLog).values({
      actorUserId: actor.id,
      action: "settings.pricing_model",
      targetType: "workspace",
      targetId: "1",
      data: { from, to },
    });
    log.info("settings.pricing_model", { userId: actor.id, from, to });
    return { changed: true, from, to };
  });
}
