/**
 * The costs dashboard's read-only panels (server-rendered): headline cards, free tier, open now
 * and reconciliation. Every amount comes in integer micros and is formatted exactly.
 */
import { AlertTriangleIcon, InfoIcon } from "lucide-react";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { PricingModel } from "@/lib/domain";
import { MISMATCH_RULES } from "@/lib/services/billing-reconcile";
import type { CostsDashboard } from "@/lib/services/costs";
import { CATEGORY_COLORS, categoryLabel, FREE_REASON_LABELS, PMP_TYPE_LABELS, UNIT_LABELS } from "./labels";
import { formatMoney, shareBps } from "./money";

const int = (n: number) => n.toLocaleString("en-US");

function until(iso: string, nowIso: string): string {
  const mins = Math.max(0, Math.round((Date.parse(iso) - Date.parse(nowIso)) / 60_000));
  if (mins < 60) return `${mins} min`;
  const h = Math.floor(mins / 60);
  return h < 24 ? `${h} h ${mins % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}
const utc = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

export function HeadlineCards({ d }: { d: CostsDashboard }) {
  const unit = UNIT_LABELS[d.model];
  const free = Object.entries(d.totals.freeByReason).filter(([, n]) => n > 0);
  return (
    <section aria-label="Headline figures" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <Card>
        <CardHeader>
          <CardDescription>Total cost</CardDescription>
          <CardTitle className="text-3xl tabular-nums" data-testid="total-cost">
            {formatMoney(d.totals.costMicros, d.currency)}
          </CardTitle>
        </CardHeader>
        <CardContent className="text-muted-foreground text-sm">
          {int(d.totals.count)} {d.totals.count === 1 ? unit.one : unit.many} in the period, under{" "}
          {d.model === "cbp" ? "conversation-based" : "per-message"} pricing.
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardDescription>Billable {unit.many}</CardDescription>
          <CardTitle className="text-3xl tabular-nums">{int(d.totals.billable)}</CardTitle>
        </CardHeader>
        <CardContent className="text-muted-foreground text-sm">
          {d.totals.billable > 0
            ? `${formatMoney(Number(BigInt(d.totals.costMicros) / BigInt(d.totals.billable)), d.currency, { estimate: true })} each on average.`
            : `Nothing billed in this period.`}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardDescription>Free {unit.many}</CardDescription>
          <CardTitle className="text-3xl tabular-nums">{int(d.totals.free)}</CardTitle>
        </CardHeader>
        <CardContent>
          {free.length === 0 ? (
            <p className="text-muted-foreground text-sm">None free in this period.</p>
          ) : (
            <ul className="grid gap-1 text-sm">
              {free.map(([reason, n]) => (
                <li key={reason} className="flex justify-between gap-2">
                  <span className="text-muted-foreground">{FREE_REASON_LABELS[reason] ?? reason}</span>
                  <span className="tabular-nums">{int(n)}</span>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardDescription>Projected for {d.projection?.month ?? "this month"}</CardDescription>
          <CardTitle className="text-3xl tabular-nums">
            {d.projection ? formatMoney(d.projection.projectedMicros, d.currency, { estimate: true }) : "—"}
          </CardTitle>
        </CardHeader>
        <CardContent className="text-muted-foreground text-sm">
          {d.projection
            ? `${formatMoney(d.projection.monthToDateMicros, d.currency)} in the first ${d.projection.elapsedDays.toFixed(1)} of ${d.projection.daysInMonth} days, at the same daily rate to month end (same filters).`
            : "No projection: the current month has not started."}
          {d.projection && d.projection.elapsedDays < 3 && " Early in the month the projection is rough."}
        </CardContent>
      </Card>
    </section>
  );
}

export function FreeTierCard({ d }: { d: CostsDashboard }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Free tier · {d.freeTier.month}</CardTitle>
        <CardDescription>
          The first {int(d.freeTier.limit)} service conversations each UTC calendar month are free, per
          WhatsApp Business Account.
          {d.model === "pmp" &&
            " Under per-message pricing service messages are always free, so the tier does not apply."}
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {d.freeTier.wabas.length === 0 && (
          <p className="text-muted-foreground text-sm">No business account in scope.</p>
        )}
        {d.freeTier.wabas.map((w) => {
          const bps = shareBps(w.used, d.freeTier.limit);
          return (
            <div key={w.wabaId} className="grid gap-1.5">
              <div className="flex flex-wrap justify-between gap-2 text-sm">
                <span>
                  {w.inboxes.join(", ") || "Account"}{" "}
                  <span className="text-muted-foreground">· WABA {w.wabaId}</span>
                </span>
                <span className="tabular-nums">
                  {int(w.used)} used · <strong>{int(w.remaining)}</strong> remaining
                </span>
              </div>
              <div aria-hidden className="h-2 overflow-hidden rounded bg-muted">
                <div
                  className={bps >= 10_000 ? "h-full bg-warning" : "h-full bg-success"}
                  style={{ width: `${Math.min(100, bps / 100)}%` }}
                />
              </div>
              {w.serviceConversations > w.used && (
                <p className="text-muted-foreground text-xs">
                  {int(w.serviceConversations - w.used)} service conversation
                  {w.serviceConversations - w.used === 1 ? "" : "s"} beyond the tier this month are billed at
                  the service price.
                </p>
              )}
            </div>
          );
        })}
      </CardContent>
    </Card>
  );
}

export function OpenNowCard({ d }: { d: CostsDashboard }) {
  const o = d.openNow;
  return (
    <Card>
      <CardHeader>
        <CardTitle>Open now</CardTitle>
        <CardDescription>
          {o.total === 0
            ? "No conversation is open at this moment."
            : `${int(o.total)} conversation${o.total === 1 ? "" : "s"} open at ${utc(d.now)}; ${int(o.fepWindows)} free entry point window${o.fepWindows === 1 ? "" : "s"} running (72 h, everything free).`}
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        {o.total > 0 && (
          <ul className="flex flex-wrap gap-2" aria-label="Open conversations by category">
            {Object.entries(o.byCategory).map(([c, n]) => (
              <li key={c}>
                <Badge variant="outline" className="gap-1.5">
                  <span
                    aria-hidden
                    className="size-2 rounded-sm"
                    style={{ background: CATEGORY_COLORS[c] }}
                  />
                  {categoryLabel(c)} {int(n)}
                </Badge>
              </li>
            ))}
          </ul>
        )}
        {o.items.length > 0 && (
          <div className="max-h-72 overflow-y-auto">
            <table className="w-full text-sm [&_td]:px-2 [&_td:first-child]:pl-0 [&_td:last-child]:pr-0 [&_th]:px-2 [&_th:first-child]:pl-0 [&_th:last-child]:pr-0">
              <caption className="sr-only">Open conversations, closing soonest first</caption>
              <thead>
                <tr className="border-b text-left text-muted-foreground">
                  <th className="py-1.5 font-medium">Customer</th>
                  <th className="py-1.5 font-medium">Category</th>
                  <th className="py-1.5 text-right font-medium">Cost</th>
                  <th className="py-1.5 text-right font-medium">Closes in</th>
                </tr>
              </thead>
              <tbody>
                {o.items.map((i) => (
                  <tr key={i.id} className="border-b last:border-0">
                    <td className="py-1.5">
                      {i.threadId ? (
                        <Link className="hover:underline" href={`/inbox/${i.threadId}`}>
                          {i.contact}
                        </Link>
                      ) : (
                        i.contact
                      )}
                    </td>
                    <td className="py-1.5">{categoryLabel(i.category)}</td>
                    <td className="py-1.5 text-right tabular-nums">
                      {formatMoney(i.costMicros, d.currency)}
                    </td>
                    <td className="py-1.5 text-right tabular-nums" title={utc(i.endsAt)}>
                      {until(i.endsAt, d.now)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {o.total > o.items.length && (
              <p className="pt-2 text-muted-foreground text-xs">
                Showing the {o.items.length} closing soonest.
              </p>
            )}
          </div>
        )}
      </CardContent>
    </Card>
  );
}

export function ReconciliationCard({ d }: { d: CostsDashboard }) {
  const r = d.reconciliation;
  return (
    <Card>
      <CardHeader>
        <CardTitle>Reconciliation with Meta</CardTitle>
        <CardDescription>
          Beside our estimate, what Meta&apos;s status webhooks reported for each delivered message
          (pricing_model, category, type/billable, conversation id). {int(r.reported)} of {int(r.delivered)}{" "}
          delivered messages carry Meta&apos;s verdict; {int(r.disagree)} disagree with ours.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {r.modelWarning && (
          <p
            role="alert"
            className="flex gap-2 rounded-md border border-warning/40 bg-warning/10 p-3 text-sm"
          >
            <AlertTriangleIcon className="mt-0.5 size-4 shrink-0 text-warning" />
            {r.modelWarning}
          </p>
        )}
        {r.delivered === 0 ? (
          <p className="text-muted-foreground text-sm">
            No delivered messages in this period, so nothing to compare.
          </p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm [&_td]:px-2 [&_td:first-child]:pl-0 [&_td:last-child]:pr-0 [&_th]:px-2 [&_th:first-child]:pl-0 [&_th:last-child]:pr-0">
              <caption className="sr-only">
                What Meta reported for the period&apos;s delivered messages
              </caption>
              <thead>
                <tr className="border-b text-left text-muted-foreground">
                  <th className="py-1.5 font-medium">Meta&apos;s model</th>
                  <th className="py-1.5 font-medium">Category</th>
                  <th className="py-1.5 font-medium">Type</th>
                  <th className="py-1.5 font-medium">Billable</th>
                  <th className="py-1.5 text-right font-medium">Messages</th>
                  <th className="py-1.5 text-right font-medium">Disagree</th>
                </tr>
              </thead>
              <tbody>
                {r.summary.map((s) => (
                  <tr
                    key={`${s.model}|${s.category}|${s.type}|${s.billable}`}
                    className="border-b last:border-0"
                  >
                    <td className="py-1.5">
                      {s.model ?? <span className="text-muted-foreground">not reported</span>}
                    </td>
                    <td className="py-1.5">{s.category ?? "—"}</td>
                    <td className="py-1.5">{s.type ?? "—"}</td>
                    <td className="py-1.5">{s.billable === null ? "—" : s.billable ? "yes" : "no"}</td>
                    <td className="py-1.5 text-right tabular-nums">{int(s.count)}</td>
                    <td className="py-1.5 text-right tabular-nums">{int(s.disagree)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {r.byRule.length > 0 && (
          <div className="grid gap-2">
            <h3 className="font-medium">Where Meta disagrees, and why</h3>
            <ul className="grid gap-2">
              {r.byRule.map((b) => (
                <li key={b.rule}>
                  <details className="rounded-md border p-3 text-sm">
                    <summary className="cursor-pointer font-medium">
                      {MISMATCH_RULES[b.rule].title} · {int(b.count)}
                    </summary>
                    <p className="mt-2 text-muted-foreground">{MISMATCH_RULES[b.rule].explanation}</p>
                  </details>
                </li>
              ))}
            </ul>
            <div className="overflow-x-auto">
              <table className="w-full text-sm [&_td]:px-2 [&_td:first-child]:pl-0 [&_td:last-child]:pr-0 [&_th]:px-2 [&_th:first-child]:pl-0 [&_th:last-child]:pr-0">
                <caption className="sr-only">Messages where Meta&apos;s verdict differs from ours</caption>
                <thead>
                  <tr className="border-b text-left text-muted-foreground">
                    <th className="py-1.5 font-medium">Delivered</th>
                    <th className="py-1.5 font-medium">Customer</th>
                    <th className="py-1.5 font-medium">Ours</th>
                    <th className="py-1.5 font-medium">Meta</th>
                    <th className="py-1.5 font-medium">Rule</th>
                  </tr>
                </thead>
                <tbody>
                  {r.mismatches.map((m) => (
                    <tr key={m.messageId} className="border-b align-top last:border-0">
                      <td className="py-1.5 whitespace-nowrap">{utc(m.deliveredAt)}</td>
                      <td className="py-1.5">
                        <Link className="hover:underline" href={`/inbox/${m.threadId}`}>
                          {m.contact}
                        </Link>
                        <div className="text-muted-foreground text-xs">{m.inbox}</div>
                      </td>
                      <td className="py-1.5">{ourVerdict(m.meta.model === "PMP" ? "pmp" : "cbp", m.ours)}</td>
                      <td className="py-1.5">
                        {[
                          m.meta.model,
                          m.meta.category,
                          m.meta.type,
                          m.meta.billable === null ? null : m.meta.billable ? "billable" : "not billable",
                        ]
                          .filter(Boolean)
                          .join(" · ")}
                        {m.meta.conversationId && (
                          <div className="text-muted-foreground text-xs">
                            conversation {m.meta.conversationId}
                          </div>
                        )}
                      </td>
                      <td className="py-1.5">{MISMATCH_RULES[m.rule].title}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {r.disagree > r.mismatches.length && (
                <p className="pt-2 text-muted-foreground text-xs">
                  Showing the latest {r.mismatches.length}; the items CSV under per-message pricing lists all
                  of them.
                </p>
              )}
            </div>
          </div>
        )}
        {r.notReported > 0 && (
          <p className="flex gap-2 text-muted-foreground text-xs">
            <InfoIcon className="size-3.5 shrink-0" />
            {int(r.notReported)} delivered message{r.notReported === 1 ? "" : "s"} came without Meta&apos;s
            pricing object (it arrives on status webhooks; Graph API v24+ omits the conversation object
            outside free entry points).
          </p>
        )}
      </CardContent>
    </Card>
  );
}

function ourVerdict(model: PricingModel, o: CostsDashboard["reconciliation"]["mismatches"][number]["ours"]) {
  if (model === "pmp")
    return `PMP · ${categoryLabel(o.category)} · ${PMP_TYPE_LABELS[o.pmpType] ?? o.pmpType}`;
  return `CBP · in a ${categoryLabel(o.cbpCategory ?? o.category).toLowerCase()} conversation`;
}
