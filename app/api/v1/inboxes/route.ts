import { withApiKey } from "@/lib/api/handler";
import { listInboxesJson } from "@/lib/api/threads";

export const dynamic = "force-dynamic";

/** GET /api/v1/inboxes: every inbox (one per WhatsApp business number). */
export const GET = withApiKey(async ({ db }) => Response.json({ inboxes: await listInboxesJson(db) }));
