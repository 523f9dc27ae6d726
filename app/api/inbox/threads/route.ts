import { getDb } from "@/db/client";
import { listThreads } from "@/lib/services/threads";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../respond";

export const dynamic = "force-dynamic";

/** GET /api/inbox/threads?view=mine|unassigned|all&status=open|…|all&inboxId=&q=&cursor= → a page of list rows. */
export const GET = jsonRoute<Record<string, never>>("threads.list", async (req) => {
  const user = await requireUser();
  const sp = new URL(req.url).searchParams;
  return listThreads(getDb(), user, {
    view: (sp.get("view") ?? undefined) as never,
    status: (sp.get("status") ?? undefined) as never,
    inboxId: sp.get("inboxId") || undefined,
    q: sp.get("q") || undefined,
    cursor: sp.get("cursor") || undefined,
    limit: sp.get("limit") ? Number(sp.get("limit")) : undefined,
  });
});
