import { uuidParam, withApiKey } from "@/lib/api/handler";
import { getThreadJson } from "@/lib/api/threads";

export const dynamic = "force-dynamic";

/** GET /api/v1/threads/{id}: the thread, its contact, assignee, status and windows. */
export const GET = withApiKey<{ id: string }>(async ({ params, db }) =>
  Response.json(await getThreadJson(db, uuidParam(params.id, "thread"), new Date())),
);
