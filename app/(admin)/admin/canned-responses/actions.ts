"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import {
  createCannedResponse,
  deleteCannedResponse,
  updateCannedResponse,
} from "@/lib/services/canned-responses";
import { requireUser } from "@/lib/session";

/* Admin-only actions on canned responses; each one checks the role itself. */

export async function createCannedAction(form: FormData): Promise<ActionResult<null>> {
  return runAction("admin.createCanned", async () => {
    const admin = await requireUser(["admin"]);
    await createCannedResponse(getDb(), admin.id, { shortcut: form.get("shortcut"), body: form.get("body") });
    revalidatePath("/admin/canned-responses");
    return null;
  });
}

export async function updateCannedAction(id: string, form: FormData): Promise<ActionResult<null>> {
  return runAction("admin.updateCanned", async () => {
    const admin = await requireUser(["admin"]);
    await updateCannedResponse(getDb(), admin.id, id, {
      shortcut: form.get("shortcut"),
      body: form.get("body"),
    });
    revalidatePath("/admin/canned-responses");
    return null;
  });
}

export async function deleteCannedAction(id: string): Promise<ActionResult<null>> {
  return runAction("admin.deleteCanned", async () => {
    const admin = await requireUser(["admin"]);
    await deleteCannedResponse(getDb(), admin.id, id);
    revalidatePath("/admin/canned-responses");
    return null;
  });
}
