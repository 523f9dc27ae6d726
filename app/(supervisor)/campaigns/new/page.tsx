import { redirect } from "next/navigation";
import { CampaignWizard } from "@/components/campaigns/campaign-wizard";
import { CampaignsShell } from "@/components/campaigns/campaigns-shell";
import { Refusal } from "@/components/costs/refusal";
import { getDb } from "@/db/client";
import { inboxes } from "@/db/schema";
import { log } from "@/lib/logger";
import { listContactLabels, workspaceTimezone } from "@/lib/services/campaigns";
import { listPickerTemplates, type PickerTemplate } from "@/lib/services/templates";
import { currentUser } from "@/lib/session";

export const dynamic = "force-dynamic";
export const metadata = { title: "New campaign · WhatsApp Helpdesk" };

export default async function NewCampaignPage() {
  const user = await currentUser();
  if (!user) redirect("/login?callbackUrl=/campaigns/new");
  if (user.role === "agent") {
    log.warn("campaigns.page_forbidden", { userId: user.id });
    return (
      <Refusal title="Campaigns are for supervisors and admins" message="Your account is an agent account." />
    );
  }
  const db = getDb();
  const allInboxes = await db
    .select({ id: inboxes.id, name: inboxes.name, displayNumber: inboxes.displayNumber })
    .from(inboxes)
    .orderBy(inboxes.name);
  const [labels, timezone, templateLists] = await Promise.all([
    listContactLabels(db),
    workspaceTimezone(db),
    Promise.all(allInboxes.map((i) => listPickerTemplates(db, { inboxId: i.id, role: user.role }))),
  ]);
  const templatesByInbox: Record<string, PickerTemplate[]> = {};
  allInboxes.forEach((i, k) => {
    templatesByInbox[i.id] = templateLists[k];
  });

  return (
    <CampaignsShell
      title="New campaign"
      back={{ href: "/campaigns", label: "Campaigns" }}
      description="Choose who gets which template; the preview shows, recipient by recipient, what WhatsApp will charge."
    >
      <CampaignWizard
        inboxes={allInboxes}
        templatesByInbox={templatesByInbox}
        labels={labels}
        timezone={timezone}
      />
    </CampaignsShell>
  );
}
