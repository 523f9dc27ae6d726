import { eq } from "drizzle-orm";
import { notFound } from "next/navigation";
import { I18nProvider } from "@/components/inbox/i18n-context";
import { InboxApp } from "@/components/inbox/inbox-app";
import { navLinks } from "@/components/inbox/nav-links";
import type { ListFilters } from "@/components/inbox/thread-list";
import { getDb } from "@/db/client";
import { inboxes, workspaceSettings } from "@/db/schema";
import { isAppError } from "@/lib/errors";
import { getDictionary, normalizeLocale, translator } from "@/lib/i18n/translate";
import { listCannedResponses } from "@/lib/services/canned-responses";
import { getThreadView, type ThreadView } from "@/lib/services/inbox-view";
import { listThreads } from "@/lib/services/threads";
import { accessibleInboxIds, requirePageUser, seesAllInboxes } from "@/lib/session";

export const dynamic = "force-dynamic";

/** /inbox and /inbox/:threadId — the same client app; the thread is preloaded when the URL names one. */
export default async function InboxPage({ params }: { params: Promise<{ thread?: string[] }> }) {
  const user = await requirePageUser();
  const { thread } = await params;
  if (thread && thread.length > 1) notFound();
  const threadId = thread?.[0];
  const db = getDb();
  const now = new Date();

  let initialView: ThreadView | null = null;
  if (threadId) {
    try {
      initialView = await getThreadView(db, user, threadId, now);
    } catch (err) {
      // Also for threads of inboxes this user is not a member of: their existence is not revealed.
      if (isAppError(err) && err.code === "not_found") notFound();
      throw err;
    }
  }

  const filters: ListFilters = { view: "all", status: "active", inboxId: "all", q: "" };
  const [list, canned, visibleInboxes, [settings]] = await Promise.all([
    listThreads(db, user, { view: filters.view, status: filters.status }),
    listCannedResponses(db),
    (async () => {
      const all = await db.select({ id: inboxes.id, name: inboxes.name }).from(inboxes).orderBy(inboxes.name);
      if (seesAllInboxes(user)) return all;
      const ids = new Set(await accessibleInboxIds(db, user));
      return all.filter((i) => ids.has(i.id));
    })(),
    db
      .select({ timezone: workspaceSettings.timezone })
      .from(workspaceSettings)
      .where(eq(workspaceSettings.id, 1)),
  ]);

  const locale = normalizeLocale(user.locale);
  const dict = getDictionary(locale);
  return (
    <I18nProvider dict={dict} locale={locale} timeZone={user.timezone ?? settings?.timezone ?? "UTC"}>
      <InboxApp
        me={{ id: user.id, name: user.name, email: user.email, role: user.role }}
        links={navLinks(user.role, translator(dict))}
        inboxes={visibleInboxes}
        initialFilters={filters}
        initialList={list}
        initialView={initialView}
        initialNotFound={false}
        canned={canned}
        serverNow={now.toISOString()}
      />
    </I18nProvider>
  );
}
