"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { parseMoneyToMicros } from "@/components/costs/money";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import { scheduleBillingRecompute } from "@/lib/services/billing-recompute";
import { addPrice, deletePrice } from "@/lib/services/prices";
import { requireUser } from "@/lib/session";

/*
 * Price table actions: parse → authorise (admins; the service checks again) → service → schedule
 * the re-pricing from the change's effective date → revalidate. Refusals come back as values.
 */

const formSchema = z.object({
  model: z.string(),
  category: z.string(),
  market: z.string().optional(),
  price: z.string(),
  tierFromVolume: z.string().optional(),
  effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Effective-from must be a date like 2026-12-01."),
});

export async function addPriceAction(
  input: unknown,
): Promise<ActionResult<{ id: string; recomputing: boolean }>> {
  return runAction("addPrice", async () => {
    const user = await requireUser(["admin"]);
    const form = formSchema.safeParse(input);
    if (!form.success) {
      const issue = form.error.issues[0];
      log.info("prices.rejected", { userId: user.id, field: issue.path.join("."), reason: issue.message });
      throw new AppError("invalid_input", issue.message, { field: issue.path.join(".") || "form" });
    }
    const f = form.data;
    const micros = parseMoneyToMicros(f.price);
    if (micros === null) {
      log.info("prices.rejected", { userId: user.id, field: "price", value: f.price.slice(0, 40) });
      throw new AppError("invalid_input", "Price must be an amount like 0.0625 (up to 6 decimals).", {
        field: "price",
      });
    }
    const tier = f.tierFromVolume?.trim() ? Number(f.tierFromVolume) : 0;
    const effectiveFrom = new Date(`${f.effectiveFrom}T00:00:00.000Z`);
    if (Number.isNaN(effectiveFrom.getTime())) {
      throw new AppError("invalid_input", "Effective-from must be a real date.", { field: "effectiveFrom" });
    }
    const db = getDb();
    const row = await addPrice(db, user, {
      model: f.model as "cbp",
      category: f.category as "marketing",
      market: f.market?.trim() || null,
      micros,
      tierFromVolume: tier,
      effectiveFrom,
    });
    // Only costs from the effective date on can change; the rest of history stays as billed.
    void scheduleBillingRecompute(db, {
      since: row.effectiveFrom,
      reason: `price added: ${row.model} ${row.category}`,
    });
    revalidatePath("/admin/prices");
    revalidatePath("/costs");
    return { id: row.id, recomputing: row.effectiveFrom.getTime() <= Date.now() };
  });
}

export async function deletePriceAction(id: unknown): Promise<ActionResult<null>> {
  return runAction("deletePrice", async () => {
    const user = await requireUser(["admin"]);
    if (typeof id !== "string") throw new AppError("invalid_input", "Unknown price.", { field: "id" });
    const db = getDb();
    const row = await deletePrice(db, user, id);
    void scheduleBillingRecompute(db, {
      since: row.effectiveFrom,
      reason: `price removed: ${row.model} ${row.category}`,
    });
    revalidatePath("/admin/prices");
    revalidatePath("/costs");
    return null;
  });
}
