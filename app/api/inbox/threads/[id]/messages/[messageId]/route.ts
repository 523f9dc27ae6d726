import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { getMessageView, getThreadForUser } from "@/lib/services/threads";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../../../../respond";

export const dynamic = "force-dynamic";

/** GET /api/inbox/threads/:id/messages/:messageId → one message as the conversation shows it. */
export const GET = jsonRoute<{ id: string; messageId: string }>(
  "messages.one",
  async (_req, { id, messageId }) => {
    const user = await requireUser();
    await getThreadForUser(getDb(), user, id);
    const view = /^[0-9a-f-]{36}$/i.test(messageId) ? await getMessageView(getDb(), id, messageId) : null;
    if (!view) throw new AppError("not_found", "Message not found.");
    return view;
  },
);
