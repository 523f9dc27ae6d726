import { getDb } from "@/db/client";
import { claimThread } from "@/lib/services/threads";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../../../respond";

export const dynamic = "force-dynamic";

/** POST /api/inbox/threads/:id/claim → the thread, or 409 `conflict` naming who holds it. */
export const POST = jsonRoute<{ id: string }>("threads.claim", async (_req, { id }) => {
  const user = await requireUser();
  return claimThread(getDb(), user, id);
});
