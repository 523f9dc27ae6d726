import { notFound, redirect } from "next/navigation";
import { CampaignLive } from "@/components/campaigns/campaign-live";
import { CampaignsShell } from "@/components/campaigns/campaigns-shell";
import { Refusal } from "@/components/costs/refusal";
import { getDb } from "@/db/client";
import { isAppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import { getCampaignDetail } from "@/lib/services/campaigns";
import { currentUser } from "@/lib/session";

export const dynamic = "force-dynamic";
export const metadata = { title: "Campaign · WhatsApp Helpdesk" };

export default async function CampaignPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=/campaigns/${encodeURIComponent(id)}`);
  if (user.role === "agent") {
    log.warn("campaigns.page_forbidden", { userId: user.id });
    return (
      <Refusal title="Campaigns are for supervisors and admins" message="Your account is an agent account." />
    );
  }
  let detail: Awaited<ReturnType<typeof getCampaignDetail>>;
  try {
    detail = await getCampaignDetail(getDb(), user, id);
  } catch (err) {
    if (isAppError(err) && err.code === "not_found") notFound();
    throw err;
  }
  return (
    <CampaignsShell back={{ href: "/campaigns", label: "Campaigns" }}>
      <CampaignLive initial={detail} />
    </CampaignsShell>
  );
}
