import { getDb } from "@/db/client";
import { previewNewCampaign } from "@/lib/services/campaigns";
import { campaignRoute, jsonBody } from "../respond";

export const dynamic = "force-dynamic";

/** POST /api/campaigns/preview: the cost preview of a campaign form, nothing stored. */
export const POST = campaignRoute<Record<string, never>>("campaigns.preview", async ({ req, user }) =>
  previewNewCampaign(getDb(), user, await jsonBody(req)),
);
