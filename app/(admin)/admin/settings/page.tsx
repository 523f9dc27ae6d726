import { ArrowLeftIcon } from "lucide-react";
import Link from "next/link";
import { redirect } from "next/navigation";
import { PricingModelForm } from "@/components/costs/pricing-model-form";
import { Refusal } from "@/components/costs/refusal";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { getPricingSettings } from "@/lib/services/prices";
import { currentUser } from "@/lib/session";
import { setPricingModelAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Workspace settings · WhatsApp Helpdesk" };

/** Workspace settings (admins): the pricing model the costs are computed under. */
export default async function SettingsPage() {
  const user = await currentUser();
  if (!user) redirect("/login?callbackUrl=/admin/settings");
  if (user.role !== "admin") {
    return (
      <Refusal title="Settings are for admins" message="Only admins can change the workspace settings." />
    );
  }
  const settings = await getPricingSettings(getDb());
  return (
    <main className="mx-auto grid max-w-3xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link
          href="/costs"
          className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:underline"
        >
          <ArrowLeftIcon className="size-4" /> Costs
        </Link>
        <h1 className="text-2xl font-semibold">Workspace settings</h1>
      </header>
      <Card>
        <CardHeader>
          <CardTitle>Pricing model</CardTitle>
          <CardDescription>
            How the costs dashboard and the template picker price WhatsApp traffic. Both are computed for
            every message, so switching changes the figures at once, for every period; each change is recorded
            in the audit log. Prices per category are in{" "}
            <Link className="underline" href="/admin/prices">
              Prices
            </Link>
            .
          </CardDescription>
        </CardHeader>
        <CardContent>
          <PricingModelForm
            current={settings.model}
            savedAt={settings.updatedAt?.toISOString() ?? null}
            action={setPricingModelAction}
          />
        </CardContent>
      </Card>
    </main>
  );
}
