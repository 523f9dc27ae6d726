import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { getCampaignDetail } from "@/lib/services/campaigns";
import { campaignIdSchema, campaignRoute } from "../respond";

export const dynamic = "force-dynamic";

/** GET /api/campaigns/:id: the campaign, its plan and previews, and its live progress. */
export const GET = campaignRoute<{ id: string }>("campaigns.detail", async ({ params, user }) => {
  if (!campaignIdSchema.safeParse(params.id).success) throw new AppError("not_found", "Campaign not found.");
  return getCampaignDetail(getDb(), user, params.id);
});
