import { getDb } from "@/db/client";
import { AppError, ERROR_STATUS, type ErrorCode } from "@/lib/errors";
import { sendFromInbox } from "@/lib/services/inbox-send";
import { getThreadForUser, listMessages } from "@/lib/services/threads";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../../../respond";

export const dynamic = "force-dynamic";

/** GET /api/inbox/threads/:id/messages?before=cursor → an older page of messages. */
export const GET = jsonRoute<{ id: string }>("messages.list", async (req, { id }) => {
  const user = await requireUser();
  await getThreadForUser(getDb(), user, id);
  const before = new URL(req.url).searchParams.get("before") ?? undefined;
  return listMessages(getDb(), id, { before, limit: 50 });
});

/**
 * POST /api/inbox/threads/:id/messages `{ input, clientId? }` — the composer's
 * send as JSON (same checks as the server action). Refusals keep their codes:
 * free text outside the window → 422 `window_closed`.
 */
export const POST = jsonRoute<{ id: string }>("messages.send", async (req, { id }) => {
  const user = await requireUser();
  const body = (await req.json().catch(() => null)) as { input?: unknown; clientId?: string } | null;
  if (!body || typeof body !== "object")
    throw new AppError("invalid_input", "Send a JSON body { input, clientId? }.");
  const result = await sendFromInbox(getDb(), user, id, body.input, body.clientId);
  if (result.ok) return Response.json(result, { status: 201 });
  const status = ERROR_STATUS[result.error.code as ErrorCode] ?? 400;
  return Response.json(
    { error: result.error.code, message: result.error.message, ...result.error.details },
    { status },
  );
});
