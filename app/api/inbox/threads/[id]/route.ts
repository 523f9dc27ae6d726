import { getDb } from "@/db/client";
import { getThreadView } from "@/lib/services/inbox-view";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../../respond";

export const dynamic = "force-dynamic";

/** GET /api/inbox/threads/:id → the conversation, its windows, picker templates and assignees (404 without access). */
export const GET = jsonRoute<{ id: string }>("threads.view", async (_req, { id }) => {
  const user = await requireUser();
  return getThreadView(getDb(), user, id);
});
