import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { launchCampaign } from "@/lib/services/campaigns";
import { campaignIdSchema, campaignRoute, jsonBody } from "../../respond";

export const dynamic = "force-dynamic";

/** POST /api/campaigns/:id/launch {when:"now"} | {when:"later", at:"YYYY-MM-DDTHH:mm"} (workspace timezone). */
export const POST = campaignRoute<{ id: string }>("campaigns.launch", async ({ req, params, user }) => {
  if (!campaignIdSchema.safeParse(params.id).success) throw new AppError("not_found", "Campaign not found.");
  const c = await launchCampaign(getDb(), user, params.id, await jsonBody(req));
  return { id: c.id, status: c.status, scheduledAt: c.scheduledAt?.toISOString() ?? null };
});
