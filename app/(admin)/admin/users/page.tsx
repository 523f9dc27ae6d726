import { PageShell } from "@/components/inbox/page-shell";
import { getDb } from "@/db/client";
import { getDictionary, translator } from "@/lib/i18n/translate";
import { listInboxes, listUsers } from "@/lib/services/users";
import { requirePageUser } from "@/lib/session";
import { UsersAdmin } from "./users-admin";

export const dynamic = "force-dynamic";
export const metadata = { title: "Users · WhatsApp Helpdesk" };

/** Admins create users, change roles, deactivate accounts and manage inbox membership. */
export default async function UsersPage() {
  const user = await requirePageUser(["admin"]);
  const t = translator(getDictionary(user.locale));
  const [users, inboxes] = await Promise.all([listUsers(getDb()), listInboxes(getDb())]);
  return (
    <PageShell user={user}>
      <div className="flex flex-col gap-6">
        <header>
          <h1 className="text-2xl font-semibold">{t("admin.users")}</h1>
          <p className="text-sm text-muted-foreground">{t("admin.usersHint")}</p>
        </header>
        <UsersAdmin meId={user.id} users={users} inboxes={inboxes} />
      </div>
    </PageShell>
  );
}
