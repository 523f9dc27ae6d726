"use server";

import { z } from "zod";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { AppError } from "@/lib/errors";
import {
  type ContactOption,
  previewStartConversation,
  type StartPreview,
  searchContactsForStart,
  startConversation,
} from "@/lib/services/conversations-start";
import { listPickerTemplates, type PickerTemplate } from "@/lib/services/templates";
import { canAccessInbox, requireUser } from "@/lib/session";

/*
 * The "New conversation" dialog's server actions: parse → authorise (requireUser; the services
 * check inbox membership) → call one service → return a value, never a thrown error.
 */

const uuid = z.string().uuid();

/** Approved templates the signed-in user may send from `inboxId`. */
export async function startTemplatesAction(inboxId: string): Promise<ActionResult<PickerTemplate[]>> {
  return runAction("startTemplates", async () => {
    const user = await requireUser();
    const id = uuid.safeParse(inboxId);
    const db = getDb();
    if (!id.success || !(await canAccessInbox(db, user, id.data))) {
      throw new AppError("forbidden", "You are not a member of this inbox.");
    }
    return listPickerTemplates(db, { inboxId: id.data, role: user.role });
  });
}

/** Existing contacts matching a name or part of a number. */
export async function searchStartContactsAction(q: string): Promise<ActionResult<ContactOption[]>> {
  return runAction("searchStartContacts", async () => {
    const user = await requireUser();
    return searchContactsForStart(getDb(), user, typeof q === "string" ? q : "");
  });
}

/** What sending would do (the engine's cost, the existing thread and window), before sending. */
export async function previewStartAction(input: unknown): Promise<ActionResult<StartPreview>> {
  return runAction("previewStart", async () => {
    const user = await requireUser();
    return previewStartConversation(getDb(), user, input);
  });
}

/** Starts the conversation; the thread appears for every agent of the inbox, assigned to the sender. */
export async function startConversationAction(
  input: unknown,
): Promise<ActionResult<{ threadId: string; createdThread: boolean }>> {
  return runAction("startConversation", async () => {
    const user = await requireUser();
    const r = await startConversation(getDb(), user, input);
    return { threadId: r.threadId, createdThread: r.createdThread };
  });
}
