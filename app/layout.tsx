import type { Metadata } from "next";
import { headers } from "next/headers";
import { ThemeScript } from "@/components/theme-script";
import { Toaster } from "@/components/ui/toast";
import { TooltipProvider } from "@/components/ui/tooltip";
import { normalizeLocale } from "@/lib/i18n/translate";
import { currentUser } from "@/lib/session";
import "./globals.css";

export const metadata: Metadata = {
  title: "WhatsApp Helpdesk",
  description: "Multi-agent WhatsApp inbox that knows what every conversation window costs",
};

/** The document's language follows the signed-in user's choice, else the browser's. */
async function documentLocale(): Promise<string> {
  const user = await currentUser().catch(() => null);
  if (user) return normalizeLocale(user.locale);
  return normalizeLocale((await headers()).get("accept-language")?.split(",")[0]);
}

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang={await documentLocale()} suppressHydrationWarning>
      <head>
        <ThemeScript />
      </head>
      <body>
        <TooltipProvider delayDuration={300}>{children}</TooltipProvider>
        <Toaster />
      </body>
    </html>
  );
}
