import Link from "next/link";
import { Button } from "@/components/ui/button";
import { getDictionary, translator } from "@/lib/i18n/translate";
import { currentUser } from "@/lib/session";

/** A thread URL that does not exist or belongs to an inbox the user is not a member of. */
export default async function ThreadNotFound() {
  const user = await currentUser().catch(() => null);
  const t = translator(getDictionary(user?.locale));
  return (
    <main className="flex h-dvh flex-col items-center justify-center gap-3 p-6 text-center">
      <h1 className="text-xl font-semibold">{t("conv.notFound")}</h1>
      <p className="max-w-md text-sm text-muted-foreground">{t("conv.notFoundHint")}</p>
      <Button asChild variant="outline">
        <Link href="/inbox">{t("conv.backToInbox")}</Link>
      </Button>
    </main>
  );
}
