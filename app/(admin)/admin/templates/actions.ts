"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { AppError } from "@/lib/errors";
import {
  createTemplate,
  deleteTemplate,
  editTemplate,
  type SyncReport,
  setTemplateVisibility,
  syncTemplates,
} from "@/lib/services/templates";
import { requireUser } from "@/lib/session";

/*
 * Template admin actions. Each one: parse → authorise (admins only; the
 * services check the role again) → one service call → revalidate. Refusals
 * come back as values; a form error's `details.fields` maps field → sentence.
 */

const PATH = "/admin/templates";
const idSchema = z.string().uuid();
const wabaSchema = z.string().regex(/^\d{1,30}$/);

type Saved = { id: string; status: string };

function parse<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const p = schema.safeParse(value);
  if (!p.success) throw new AppError("invalid_input", message);
  return p.data;
}

export async function createTemplateAction(wabaId: unknown, draft: unknown): Promise<ActionResult<Saved>> {
  return runAction("createTemplate", async () => {
    const user = await requireUser(["admin"]);
    const t = await createTemplate(getDb(), user, {
      wabaId: parse(wabaSchema, wabaId, "Choose a WhatsApp account."),
      draft,
    });
    revalidatePath(PATH);
    return { id: t.id, status: t.status };
  });
}

export async function editTemplateAction(id: unknown, draft: unknown): Promise<ActionResult<Saved>> {
  return runAction("editTemplate", async () => {
    const user = await requireUser(["admin"]);
    const t = await editTemplate(getDb(), user, parse(idSchema, id, "Template not found."), { draft });
    revalidatePath(PATH);
    return { id: t.id, status: t.status };
  });
}

export async function deleteTemplateAction(id: unknown): Promise<ActionResult<null>> {
  return runAction("deleteTemplate", async () => {
    const user = await requireUser(["admin"]);
    await deleteTemplate(getDb(), user, parse(idSchema, id, "Template not found."));
    revalidatePath(PATH);
    return null;
  });
}

export async function setTemplateVisibilityAction(
  id: unknown,
  visible: unknown,
): Promise<ActionResult<null>> {
  return runAction("setTemplateVisibility", async () => {
    const user = await requireUser(["admin"]);
    await setTemplateVisibility(
      getDb(),
      user,
      parse(idSchema, id, "Template not found."),
      parse(z.boolean(), visible, "Visible must be true or false."),
    );
    revalidatePath(PATH);
    return null;
  });
}

export async function syncTemplatesAction(wabaId?: unknown): Promise<ActionResult<SyncReport>> {
  return runAction("syncTemplates", async () => {
    const user = await requireUser(["admin"]);
    const report = await syncTemplates(getDb(), user, {
      wabaId: wabaId === undefined ? undefined : parse(wabaSchema, wabaId, "Unknown WhatsApp account."),
    });
    revalidatePath(PATH);
    return report;
  });
}
