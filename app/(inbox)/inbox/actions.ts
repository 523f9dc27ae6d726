"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { type ActionResult, runAction } from "@/lib/action-result";
import { signOut } from "@/lib/auth";
import { THREAD_STATUSES } from "@/lib/domain";
import { AppError } from "@/lib/errors";
import type { ThreadSummary } from "@/lib/realtime/events";
import { type InboxSendResult, sendFromInbox } from "@/lib/services/inbox-send";
import { assignThread, claimThread, markThreadRead, setThreadStatus } from "@/lib/services/threads";
import { setUserPreferences } from "@/lib/services/users";
import { requireUser } from "@/lib/session";

/*
 * The inbox's server actions. Each one: parse → authorise (requireUser; the
 * services check inbox membership) → call one service → return a value.
 */

const uuid = z.string().uuid();

function threadIdOf(v: unknown): string {
  const p = uuid.safeParse(v);
  if (!p.success) throw new AppError("not_found", "Conversation not found.");
  return p.data;
}

/** Composer and template picker: refusals (window_closed, template_params, …) come back as values. */
export async function sendMessageAction(
  threadId: string,
  input: unknown,
  clientId?: string,
): Promise<InboxSendResult> {
  const r = await runAction("sendMessage", async () => {
    const user = await requireUser();
    return sendFromInbox(getDb(), user, threadIdOf(threadId), input, clientId);
  });
  return r.ok ? r.data : { ok: false, error: r.error };
}

export async function claimThreadAction(threadId: string): Promise<ActionResult<ThreadSummary>> {
  return runAction("claimThread", async () => {
    const user = await requireUser();
    return claimThread(getDb(), user, threadIdOf(threadId));
  });
}

export async function assignThreadAction(
  threadId: string,
  assigneeId: string | null,
  expectedAssigneeId?: string | null,
): Promise<ActionResult<ThreadSummary>> {
  return runAction("assignThread", async () => {
    const user = await requireUser();
    const target = assigneeId === null ? null : uuid.safeParse(assigneeId).data;
    if (target === undefined) throw new AppError("invalid_input", "Unknown agent.");
    return assignThread(getDb(), user, threadIdOf(threadId), target, expectedAssigneeId);
  });
}

const statusSchema = z.object({
  status: z.enum(THREAD_STATUSES),
  snoozedUntil: z.string().datetime().optional(),
});

export async function setThreadStatusAction(
  threadId: string,
  input: unknown,
): Promise<ActionResult<ThreadSummary>> {
  return runAction("setThreadStatus", async () => {
    const user = await requireUser();
    const parsed = statusSchema.safeParse(input);
    if (!parsed.success) throw new AppError("invalid_input", "Invalid status.");
    return setThreadStatus(getDb(), user, threadIdOf(threadId), parsed.data);
  });
}

export async function markThreadReadAction(threadId: string): Promise<ActionResult<null>> {
  return runAction("markThreadRead", async () => {
    const user = await requireUser();
    await markThreadRead(getDb(), user, threadIdOf(threadId));
    return null;
  });
}

/** The user's own language / time zone; the page re-renders in the new language. */
export async function setPreferencesAction(input: unknown): Promise<ActionResult<null>> {
  return runAction("setPreferences", async () => {
    const user = await requireUser();
    await setUserPreferences(getDb(), user.id, input);
    revalidatePath("/", "layout");
    return null;
  });
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
