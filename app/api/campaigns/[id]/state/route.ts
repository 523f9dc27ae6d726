import { z } from "zod";
import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { cancelCampaign, pauseCampaign, resumeCampaign } from "@/lib/services/campaigns";
import { campaignIdSchema, campaignRoute, jsonBody } from "../../respond";

export const dynamic = "force-dynamic";

const schema = z.object({ action: z.enum(["pause", "resume", "cancel"]) });

/** POST /api/campaigns/:id/state {action: pause|resume|cancel}. */
export const POST = campaignRoute<{ id: string }>("campaigns.state", async ({ req, params, user }) => {
  if (!campaignIdSchema.safeParse(params.id).success) throw new AppError("not_found", "Campaign not found.");
  const body = schema.safeParse(await jsonBody(req));
  if (!body.success)
    throw new AppError("invalid_input", "action is pause, resume or cancel.", { field: "action" });
  const db = getDb();
  const act = { pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign }[body.data.action];
  const c = await act(db, user, params.id);
  return { id: c.id, status: c.status };
});
