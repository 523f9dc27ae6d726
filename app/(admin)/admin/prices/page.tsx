import { ArrowLeftIcon } from "lucide-react";
import Link from "next/link";
import { redirect } from "next/navigation";
import { MODEL_LABELS } from "@/components/costs/labels";
import { PriceForm } from "@/components/costs/price-form";
import { PriceTable } from "@/components/costs/price-table";
import { Refusal } from "@/components/costs/refusal";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { PRICING_MODELS } from "@/lib/domain";
import { getPricingSettings, listPrices, openMonthStart, PRICE_CATEGORIES } from "@/lib/services/prices";
import { currentUser } from "@/lib/session";
import { addPriceAction, deletePriceAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Prices · WhatsApp Helpdesk" };

/** The workspace's price table: admins edit it, supervisors read it, agents are refused. */
export default async function PricesPage() {
  const user = await currentUser();
  if (!user) redirect("/login?callbackUrl=/admin/prices");
  if (user.role === "agent") {
    return (
      <Refusal
        title="Prices are for admins"
        message="Only admins (and supervisors, read-only) can see the price table."
      />
    );
  }
  const db = getDb();
  const now = new Date();
  const [rows, settings] = await Promise.all([listPrices(db), getPricingSettings(db)]);
  const openFrom = openMonthStart(now).toISOString().slice(0, 10);
  const canEdit = user.role === "admin";
  return (
    <main className="mx-auto grid max-w-6xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link
          href="/costs"
          className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:underline"
        >
          <ArrowLeftIcon className="size-4" /> Costs
        </Link>
        <h1 className="text-2xl font-semibold">Prices</h1>
        <p className="text-sm text-muted-foreground">
          What one conversation (conversation-based pricing) or one delivered message (per-message pricing)
          costs, in US$. Meta publishes no API for its rate card, so these are yours to keep current. A change
          is a new price from a date: months already closed keep the prices they were billed at. In force now:{" "}
          <strong>{MODEL_LABELS[settings.model]}</strong>
          {canEdit && (
            <>
              {" "}
              (
              <Link className="underline" href="/admin/settings">
                change
              </Link>
              )
            </>
          )}
          .
        </p>
      </header>
      {canEdit && (
        <Card>
          <CardHeader>
            <CardTitle>Add a price</CardTitle>
            <CardDescription>
              From the effective date on, costs are recomputed with it (in the background, a few seconds).
              Leave the market empty for every country; a market (calling-code prefix, e.g. 55) overrides it
              for those customers.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <PriceForm
              categories={[...PRICE_CATEGORIES]}
              models={[...PRICING_MODELS]}
              defaultModel={settings.model}
              minDate={openFrom}
              today={now.toISOString().slice(0, 10)}
              action={addPriceAction}
            />
          </CardContent>
        </Card>
      )}
      {PRICING_MODELS.map((model) => (
        <Card key={model}>
          <CardHeader>
            <CardTitle>{MODEL_LABELS[model]}</CardTitle>
            <CardDescription>
              {model === "cbp"
                ? "Per 24-hour conversation, by the category that opened it. The first 1,000 service conversations a month per business account are free whatever the price."
                : "Per delivered template; free-form messages, utility templates inside the 24h window and everything inside a free entry point are free. Volume tiers: a price from N messages a month on."}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <PriceTable
              rows={rows
                .filter((r) => r.model === model)
                .map((r) => ({
                  id: r.id,
                  category: r.category,
                  market: r.market,
                  micros: r.micros,
                  currency: r.currency,
                  tierFromVolume: r.tierFromVolume,
                  effectiveFrom: r.effectiveFrom.toISOString(),
                }))}
              model={model}
              now={now.toISOString()}
              openFrom={openFrom}
              canEdit={canEdit}
              remove={deletePriceAction}
            />
          </CardContent>
        </Card>
      ))}
    </main>
  );
}
