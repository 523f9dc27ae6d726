import { eq } from "drizzle-orm";
import { getDb } from "@/db/client";
import { workspaceSettings } from "@/db/schema";
import { getDictionary, normalizeLocale, translator } from "@/lib/i18n/translate";
import type { SessionUser } from "@/lib/session";
import { I18nProvider } from "./i18n-context";
import { navLinks } from "./nav-links";
import { TopBar } from "./top-bar";

/** The app bar and the user's language around a page that is not the inbox (admin pages). */
export async function PageShell({ user, children }: { user: SessionUser; children: React.ReactNode }) {
  const locale = normalizeLocale(user.locale);
  const dict = getDictionary(locale);
  const [settings] = await getDb()
    .select({ timezone: workspaceSettings.timezone })
    .from(workspaceSettings)
    .where(eq(workspaceSettings.id, 1));
  return (
    <I18nProvider dict={dict} locale={locale} timeZone={user.timezone ?? settings?.timezone ?? "UTC"}>
      <div className="flex min-h-dvh flex-col">
        <TopBar
          me={{ id: user.id, name: user.name, email: user.email, role: user.role }}
          links={navLinks(user.role, translator(dict))}
          online={[]}
        />
        <main className="mx-auto w-full max-w-6xl flex-1 p-4 md:p-8">{children}</main>
      </div>
    </I18nProvider>
  );
}
