import { z } from "zod";
import type { Db } from "../../db/client";
import { AppError } from "../errors";
import { log } from "../logger";
import type { Actor } from "./access";
import { sendMessage } from "./send-message";
import { getMessageView, getThreadForUser, type MessageView } from "./threads";

const paramValues = z.union([
  z.array(z.string().max(1024)).max(50),
  z.record(z.string(), z.string().max(1024)),
]);

/** What the composer and the template picker may submit. Anything else is refused before the rules run. */
export const composerInputSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("text"),
    text: z.string().max(4096),
    replyToMessageId: z.string().uuid().optional(),
  }),
  z.object({ type: z.literal("note"), text: z.string().max(4096) }),
  z.object({
    type: z.literal("template"),
    templateId: z.string().uuid(),
    params: paramValues.optional(),
    headerParams: paramValues.optional(),
    headerMedia: z
      .object({
        kind: z.enum(["image", "video", "document"]),
        link: z.string().url(),
        filename: z.string().optional(),
      })
      .optional(),
    buttonParams: paramValues.optional(),
  }),
  z.object({
    type: z.literal("media"),
    mediaKind: z.enum(["image", "document", "audio", "video"]),
    // Only files this app's upload endpoint wrote; never an arbitrary path.
    mediaPath: z
      .string()
      .regex(/^outbound\/[0-9]{4}-[0-9]{2}\/[0-9a-f-]{36}\.[a-z0-9]{1,8}$/, "Upload the file again."),
    mime: z.string().max(200).optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
    replyToMessageId: z.string().uuid().optional(),
  }),
]);
export type ComposerInput = z.infer<typeof composerInputSchema>;

export type InboxSendResult =
  | { ok: true; message: MessageView }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/**
 * A send from the agents' inbox (composer, picker, or its JSON twin):
 * validate the input, check the agent may see the thread, then hand it to the
 * one send service, which enforces the window and template rules itself.
 * Refusals are values, so the UI can explain (`window_closed` → show the picker).
 */
export async function sendFromInbox(
  db: Db,
  user: Actor,
  threadId: string,
  rawInput: unknown,
  clientId?: string,
): Promise<InboxSendResult> {
  const parsed = composerInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    log.warn("inbox.send_invalid", {
      threadId,
      userId: user.id,
      issues: parsed.error.issues.map((i) => i.message),
    });
    return {
      ok: false,
      error: { code: "invalid_input", message: parsed.error.issues[0]?.message ?? "Invalid message" },
    };
  }
  if (clientId !== undefined && !z.string().min(8).max(100).safeParse(clientId).success) {
    return { ok: false, error: { code: "invalid_input", message: "Invalid client id." } };
  }
  try {
    await getThreadForUser(db, user, threadId);
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: { code: err.code, message: err.message } };
    throw err;
  }
  const result = await sendMessage(db, {
    threadId,
    actor: { userId: user.id, role: user.role },
    input: parsed.data,
    clientId,
  });
  if (!result.ok) {
    return {
      ok: false,
      error: { code: result.error.code, message: result.error.message, details: result.error.details },
    };
  }
  const view = await getMessageView(db, threadId, result.message.id);
  if (!view) throw new Error(`sent message ${result.message.id} not readable`);
  return { ok: true, message: view };
}
