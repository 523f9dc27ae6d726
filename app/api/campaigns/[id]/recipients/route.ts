import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { listCampaignRecipients } from "@/lib/services/campaigns";
import { campaignIdSchema, campaignRoute } from "../../respond";

export const dynamic = "force-dynamic";

const FILTERS = ["excluded", "failed", "all"] as const;

/** GET /api/campaigns/:id/recipients?filter=excluded|failed|all: who was left out or failed, and why. */
export const GET = campaignRoute<{ id: string }>("campaigns.recipients", async ({ req, params, user }) => {
  if (!campaignIdSchema.safeParse(params.id).success) throw new AppError("not_found", "Campaign not found.");
  const filter = new URL(req.url).searchParams.get("filter") ?? "all";
  if (!(FILTERS as readonly string[]).includes(filter)) {
    throw new AppError("invalid_input", "filter is excluded, failed or all.", { field: "filter" });
  }
  return {
    recipients: await listCampaignRecipients(getDb(), user, params.id, filter as (typeof FILTERS)[number]),
  };
});
