"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { scheduleBillingRecompute } from "@/lib/services/billing-recompute";
import { setPricingModel } from "@/lib/services/prices";
import { requireUser } from "@/lib/session";

/** Sets the workspace's pricing model (admins; the service checks again and audits), then recomputes costs. */
export async function setPricingModelAction(model: unknown): Promise<ActionResult<{ changed: boolean }>> {
  return runAction("setPricingModel", async () => {
    const user = await requireUser(["admin"]);
    const db = getDb();
    const r = await setPricingModel(db, user, String(model ?? ""));
    if (r.changed) {
      // Both models' figures are stored for every item, so this re-applies prices only.
      void scheduleBillingRecompute(db, { reason: `pricing model ${r.from} → ${r.to}` });
      revalidatePath("/admin/settings");
      revalidatePath("/admin/prices");
      revalidatePath("/costs");
    }
    return { changed: r.changed };
  });
}
