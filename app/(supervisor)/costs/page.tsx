import { ArrowLeftIcon } from "lucide-react";
import Link from "next/link";
import { redirect } from "next/navigation";
import { BreakdownTables } from "@/components/costs/breakdown-tables";
import { CostChart } from "@/components/costs/cost-chart";
import { CostsFilters } from "@/components/costs/costs-filters";
import {
  FreeTierCard,
  HeadlineCards,
  OpenNowCard,
  ReconciliationCard,
} from "@/components/costs/costs-panels";
import { MODEL_LABELS, UNIT_LABELS } from "@/components/costs/labels";
import {
  costsHref,
  isoDay,
  paramsToQuery,
  parseCostsParams,
  periodTitle,
  shiftedQuery,
} from "@/components/costs/period";
import { Refusal } from "@/components/costs/refusal";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { CONVERSATION_CATEGORIES } from "@/lib/domain";
import { log } from "@/lib/logger";
import { getCostsDashboard } from "@/lib/services/costs";
import { currentUser } from "@/lib/session";

export const dynamic = "force-dynamic";
export const metadata = { title: "Costs · WhatsApp Helpdesk" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** What WhatsApp conversations cost: supervisors and admins only. */
export default async function CostsPage({ searchParams }: Props) {
  const user = await currentUser();
  if (!user) redirect("/login?callbackUrl=/costs");
  if (user.role === "agent") {
    log.warn("costs.forbidden", { userId: user.id, role: user.role });
    return (
      <Refusal
        title="Costs are for supervisors and admins"
        message="Your account is an agent account, so the costs dashboard is not available to you. Ask an admin if you need access."
      />
    );
  }

  const now = new Date();
  const parsed = parseCostsParams(await searchParams, now);
  if (!parsed.ok) {
    log.info("costs.bad_params", { userId: user.id, field: parsed.field, reason: parsed.error });
    return (
      <Shell>
        <Card role="alert">
          <CardHeader>
            <CardTitle>That period or filter is not valid</CardTitle>
            <CardDescription>{parsed.error}</CardDescription>
          </CardHeader>
          <CardContent>
            <Button asChild>
              <Link href="/costs">Show this month</Link>
            </Button>
          </CardContent>
        </Card>
      </Shell>
    );
  }
  const p = parsed.params;
  const d = await getCostsDashboard(getDb(), {
    from: p.from,
    to: p.to,
    inboxIds: p.inboxId ? [p.inboxId] : undefined,
    agentId: p.agentId,
    category: p.category,
    model: p.model,
    now,
  });
  const query = paramsToQuery(p);
  const chartCategories = d.byCategory.filter((c) => c.costMicros > 0).map((c) => c.category);
  const unit = UNIT_LABELS[d.model];
  const empty = d.totals.count === 0;

  return (
    <Shell>
      <p className="text-sm">
        Pricing model in force: <strong>{MODEL_LABELS[d.model]}</strong>
        {d.model !== d.workspaceModel
          ? ` — a "what if" view; the workspace is set to ${MODEL_LABELS[d.workspaceModel]}.`
          : " — the workspace setting."}{" "}
        {d.metaModelForPeriod !== "mixed" && d.metaModelForPeriod !== d.model && (
          <span className="text-muted-foreground">
            Meta billed this period{" "}
            {d.metaModelForPeriod === "pmp"
              ? "per message (since 2025-07-01)"
              : "per conversation (before 2025-07-01)"}
            .
          </span>
        )}
        {d.metaModelForPeriod === "mixed" && (
          <span className="text-muted-foreground">
            Meta moved to per-message pricing on 2025-07-01, inside this period.
          </span>
        )}{" "}
        {user.role === "admin" && (
          <Link className="underline" href="/admin/settings">
            Change
          </Link>
        )}
      </p>
      <CostsFilters
        query={query}
        title={periodTitle(p)}
        prevHref={costsHref(shiftedQuery(p, -1), {})}
        nextHref={costsHref(shiftedQuery(p, 1), {})}
        today={isoDay(now)}
        inboxes={d.options.inboxes}
        agents={d.options.agents}
        categories={[...CONVERSATION_CATEGORIES]}
        workspaceModel={d.workspaceModel}
      />
      <HeadlineCards d={d} />
      {empty ? (
        <Card>
          <CardHeader>
            <CardTitle>No {unit.many} in this period</CardTitle>
            <CardDescription>
              Costs appear when messages are delivered: a {unit.one} is billed when WhatsApp reports the
              delivery. Try another period or clear the filters; if you expected traffic, check that the
              inbox&apos;s webhook is subscribed in Meta&apos;s app settings and that delivery statuses
              arrive.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <Button asChild variant="outline">
              <Link href="/costs">This month, all inboxes</Link>
            </Button>
          </CardContent>
        </Card>
      ) : (
        <Card>
          <CardHeader>
            <CardTitle>Cost per day</CardTitle>
            <CardDescription>Stacked by category, UTC days.</CardDescription>
          </CardHeader>
          <CardContent>
            <CostChart days={d.daily} categories={chartCategories} currency={d.currency} />
          </CardContent>
        </Card>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <FreeTierCard d={d} />
        <OpenNowCard d={d} />
      </div>
      {!empty && (
        <Card>
          <CardHeader>
            <CardTitle>Breakdown</CardTitle>
            <CardDescription>Click a column to sort.</CardDescription>
          </CardHeader>
          <CardContent>
            <BreakdownTables
              currency={d.currency}
              unitLabel={unit.many[0].toUpperCase() + unit.many.slice(1)}
              total={d.totals.costMicros}
              byCategory={d.byCategory}
              byInbox={d.byInbox}
              byAgent={d.byAgent}
            />
          </CardContent>
        </Card>
      )}
      <ReconciliationCard d={d} />
    </Shell>
  );
}

function Shell({ children }: { children: React.ReactNode }) {
  return (
    <main className="mx-auto grid max-w-7xl gap-6 p-4 md:p-8">
      <header className="grid gap-1">
        <Link
          href="/inbox"
          className="flex w-fit items-center gap-1 text-sm text-muted-foreground hover:underline"
        >
          <ArrowLeftIcon className="size-4" /> Inbox
        </Link>
        <h1 className="text-2xl font-semibold">Costs</h1>
        <p className="text-sm text-muted-foreground">
          What WhatsApp charges for your conversations, computed from your own events by WhatsApp&apos;s rules
          — beside what Meta reported.
        </p>
      </header>
      {children}
    </main>
  );
}
