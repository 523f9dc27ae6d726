import { PageShell } from "@/components/inbox/page-shell";
import { getDb } from "@/db/client";
import { getDictionary, translator } from "@/lib/i18n/translate";
import { listCannedResponses } from "@/lib/services/canned-responses";
import { requirePageUser } from "@/lib/session";
import { CannedAdmin } from "./canned-admin";

export const dynamic = "force-dynamic";
export const metadata = { title: "Canned responses · WhatsApp Helpdesk" };

/** Admins manage the canned responses agents insert with `/` in the composer. */
export default async function CannedResponsesPage() {
  const user = await requirePageUser(["admin"]);
  const t = translator(getDictionary(user.locale));
  const items = await listCannedResponses(getDb());
  return (
    <PageShell user={user}>
      <div className="flex flex-col gap-6">
        <header>
          <h1 className="text-2xl font-semibold">{t("admin.canned")}</h1>
          <p className="text-sm text-muted-foreground">{t("admin.cannedHint")}</p>
        </header>
        <CannedAdmin items={items} />
      </div>
    </PageShell>
  );
}
