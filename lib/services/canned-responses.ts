import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../db/client";
import { auditLog, cannedResponses } from "../../db/schema";
import { AppError } from "../errors";
import { log } from "../logger";

export type CannedResponse = { id: string; shortcut: string; body: string };

export const cannedResponseSchema = z.object({
  shortcut: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "A shortcut is 1–32 letters, digits, - or _ (typed after /)."),
  body: z
    .string()
    .trim()
    .min(1, "The text cannot be empty.")
    .max(4096, "At most 4096 characters (WhatsApp's limit)."),
});

/** Every canned response, by shortcut (agents pick them with `/` in the composer). */
export async function listCannedResponses(db: DbOrTx): Promise<CannedResponse[]> {
  return db
    .select({ id: cannedResponses.id, shortcut: cannedResponses.shortcut, body: cannedResponses.body })
    .from(cannedResponses)
    .orderBy(asc(cannedResponses.shortcut));
}

function parse(input: unknown) {
  const parsed = cannedResponseSchema.safeParse(input);
  if (!parsed.success) {
    log.warn("canned.invalid", { issues: parsed.error.issues.map((i) => i.message) });
    throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Invalid canned response");
  }
  return parsed.data;
}

/** Creates one (admins); a shortcut in use is a Conflict. */
export async function createCannedResponse(
  db: DbOrTx,
  actorId: string,
  input: unknown,
): Promise<CannedResponse> {
  const data = parse(input);
  const [row] = await db
    .insert(cannedResponses)
    .values(data)
    .onConflictDoNothing({ target: cannedResponses.shortcut })
    .returning({ id: cannedResponses.id, shortcut: cannedResponses.shortcut, body: cannedResponses.body });
  if (!row) throw new AppError("conflict", `The shortcut /${data.shortcut} is already used.`);
  await db.insert(auditLog).values({
    actorUserId: actorId,
    action: "canned.create",
    targetType: "canned_response",
    targetId: row.id,
  });
  return row;
}

/** Edits one (admins). */
export async function updateCannedResponse(
  db: DbOrTx,
  actorId: string,
  id: string,
  input: unknown,
): Promise<CannedResponse> {
  if (!z.string().uuid().safeParse(id).success) throw new AppError("not_found", "Canned response not found.");
  const data = parse(input);
  const [clash] = await db
    .select({ id: cannedResponses.id })
    .from(cannedResponses)
    .where(eq(cannedResponses.shortcut, data.shortcut));
  if (clash && clash.id !== id)
    throw new AppError("conflict", `The shortcut /${data.shortcut} is already used.`);
  const [row] = await db
    .update(cannedResponses)
    .set(data)
    .where(eq(cannedResponses.id, id))
    .returning({ id: cannedResponses.id, shortcut: cannedResponses.shortcut, body: cannedResponses.body });
  if (!row) throw new AppError("not_found", "Canned response not found.");
  await db
    .insert(auditLog)
    .values({ actorUserId: actorId, action: "canned.update", targetType: "canned_response", targetId: id });
  return row;
}

/** Deletes one (admins). */
export async function deleteCannedResponse(db: DbOrTx, actorId: string, id: string): Promise<void> {
  if (!z.string().uuid().safeParse(id).success) throw new AppError("not_found", "Canned response not found.");
  await db.delete(cannedResponses).where(eq(cannedResponses.id, id));
  await db
    .insert(auditLog)
    .values({ actorUserId: actorId, action: "canned.delete", targetType: "canned_response", targetId: id });
}
