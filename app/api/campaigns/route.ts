import { z } from "zod";
import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { createCampaign, launchCampaign, listCampaigns } from "@/lib/services/campaigns";
import { campaignRoute, jsonBody } from "./respond";

export const dynamic = "force-dynamic";

/** GET /api/campaigns: the latest campaigns. */
export const GET = campaignRoute<Record<string, never>>("campaigns.list", async ({ user }) => ({
  campaigns: await listCampaigns(getDb(), user),
}));

const bodySchema = z.object({ campaign: z.unknown(), launch: z.unknown().optional() });

/**
 * POST /api/campaigns {campaign, launch?}: creates the campaign and, with `launch`
 * ({when:"now"} | {when:"later", at}), launches it at once — what the wizard's last step does.
 */
export const POST = campaignRoute<Record<string, never>>("campaigns.create", async ({ req, user }) => {
  const body = bodySchema.safeParse(await jsonBody(req));
  if (!body.success) throw new AppError("invalid_input", "Send {campaign, launch}.");
  const db = getDb();
  const { campaignId, preview } = await createCampaign(db, user, body.data.campaign);
  if (body.data.launch !== undefined) await launchCampaign(db, user, campaignId, body.data.launch);
  return Response.json({ campaignId, preview }, { status: 201 });
});
