import { z } from "zod";
import { parseQuery, withApiKey } from "@/lib/api/handler";
import { listThreadsJson } from "@/lib/api/threads";
import { THREAD_STATUSES } from "@/lib/domain";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  wa_id: z
    .string()
    .regex(/^\d{6,20}$/, "a WhatsApp id is the customer's number in digits, without +")
    .optional(),
  status: z.enum(THREAD_STATUSES).optional(),
  inbox_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
});

/** GET /api/v1/threads?wa_id=&status=&inbox_id=&limit=&before=: threads with their windows, newest activity first. */
export const GET = withApiKey(async ({ req, db }) => {
  const q = parseQuery(req, querySchema);
  const page = await listThreadsJson(
    db,
    {
      waId: q.wa_id,
      status: q.status,
      inboxId: q.inbox_id,
      limit: q.limit,
      before: q.before ? new Date(q.before) : undefined,
    },
    new Date(),
  );
  return Response.json(page);
});
