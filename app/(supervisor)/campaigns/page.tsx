import { PlusIcon } from "lucide-react";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CampaignsShell } from "@/components/campaigns/campaigns-shell";
import { CampaignStatusBadge } from "@/components/campaigns/status-badge";
import { formatMoney } from "@/components/costs/money";
import { Refusal } from "@/components/costs/refusal";
import { Button } from "@/components/ui/button";
import { getDb } from "@/db/client";
import { log } from "@/lib/logger";
import { listCampaigns, workspaceTimezone } from "@/lib/services/campaigns";
import { currentUser } from "@/lib/session";

export const dynamic = "force-dynamic";
export const metadata = { title: "Campaigns · WhatsApp Helpdesk" };

/** Campaigns: supervisors and admins only. */
export default async function CampaignsPage() {
  const user = await currentUser();
  if (!user) redirect("/login?callbackUrl=/campaigns");
  if (user.role === "agent") {
    log.warn("campaigns.page_forbidden", { userId: user.id });
    return (
      <Refusal
        title="Campaigns are for supervisors and admins"
        message="Your account is an agent account. To message one customer, use “New conversation” in the inbox."
      />
    );
  }
  const db = getDb();
  const [rows, tz] = await Promise.all([listCampaigns(db, user), workspaceTimezone(db)]);
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, dateStyle: "medium", timeStyle: "short" });

  return (
    <CampaignsShell
      title="Campaigns"
      description="One approved template to many customers, with the exact cost known before you launch."
      actions={
        <Button asChild>
          <Link href="/campaigns/new">
            <PlusIcon /> New campaign
          </Link>
        </Button>
      }
    >
      {rows.length === 0 ? (
        <p className="rounded-lg border border-dashed p-6 text-sm text-muted-foreground">
          No campaigns yet. Create one to preview what it costs before sending anything.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border">
          <table className="w-full text-sm">
            <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
              <tr>
                <th className="p-2 font-medium">Campaign</th>
                <th className="p-2 font-medium">Status</th>
                <th className="p-2 font-medium">Inbox</th>
                <th className="p-2 font-medium">Template</th>
                <th className="p-2 text-right font-medium">Recipients</th>
                <th className="p-2 text-right font-medium">Handed over</th>
                <th className="p-2 text-right font-medium">Preview cost</th>
                <th className="p-2 font-medium">When</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id} className="border-t">
                  <td className="p-2">
                    <Link href={`/campaigns/${c.id}`} className="font-medium hover:underline">
                      {c.name}
                    </Link>
                  </td>
                  <td className="p-2">
                    <CampaignStatusBadge status={c.status} />
                  </td>
                  <td className="p-2">{c.inboxName}</td>
                  <td className="p-2">
                    {c.templateName}{" "}
                    <span className="text-xs text-muted-foreground">{c.templateCategory.toLowerCase()}</span>
                  </td>
                  <td className="p-2 text-right tabular-nums">{c.recipients.toLocaleString("en-US")}</td>
                  <td className="p-2 text-right tabular-nums">{c.handed.toLocaleString("en-US")}</td>
                  <td className="p-2 text-right tabular-nums">
                    {c.previewTotalMicros === null ? "—" : formatMoney(c.previewTotalMicros)}
                  </td>
                  <td className="p-2 text-xs text-muted-foreground">
                    {c.status === "scheduled" && c.scheduledAt
                      ? `starts ${fmt.format(new Date(c.scheduledAt))}`
                      : fmt.format(new Date(c.startedAt ?? c.createdAt))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </CampaignsShell>
  );
}
