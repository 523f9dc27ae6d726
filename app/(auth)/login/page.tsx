import { headers } from "next/headers";
import { getDictionary, normalizeLocale, translator } from "@/lib/i18n/translate";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string }>;
}) {
  const locale = normalizeLocale((await headers()).get("accept-language")?.split(",")[0]);
  const t = translator(getDictionary(locale));
  const { callbackUrl } = await searchParams;
  let callbackPath = "/inbox";
  try {
    // Auth.js passes an absolute URL; keep only its path.
    if (callbackUrl) callbackPath = new URL(callbackUrl, "http://x").pathname;
  } catch {}
  return (
    <main className="flex min-h-full items-center justify-center bg-muted/40 p-4">
      <LoginForm
        callbackUrl={callbackPath}
        labels={{
          title: t("login.title"),
          subtitle: t("login.subtitle"),
          email: t("login.email"),
          password: t("login.password"),
          submit: t("login.submit"),
          submitting: t("login.submitting"),
          invalid: t("login.invalid"),
          invalidInput: t("login.invalidInput"),
          rateLimited: t("login.rateLimited"),
          error: t("login.error"),
          demo: t("login.demo"),
          appName: t("app.name"),
        }}
      />
    </main>
  );
}
