import { formatMoney } from "@/components/costs/money";
import type { CampaignPreview, ExclusionReason } from "@/lib/campaigns/preview";
import type { ExcludedRecipient } from "@/lib/services/campaigns";

const EXCLUSION_LABELS: Record<ExclusionReason, string> = {
  invalid_number: "Invalid numbers",
  opted_out: "Opted out of marketing",
  missing_variable: "Missing a variable value",
  duplicate: "Duplicates",
};

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/**
 * A campaign's cost preview as the engine computed it: who opens a new conversation (and what
 * that costs), who is already inside one or inside a free entry point window, and who is excluded.
 */
export function PreviewSummary({
  preview,
  excludedList,
  duplicates = 0,
  title = "Cost preview",
  timeZone,
}: {
  preview: CampaignPreview;
  /** Times are shown in this zone (the workspace's), the same on the server and in the browser. */
  timeZone: string;
  excludedList?: ExcludedRecipient[];
  duplicates?: number;
  title?: string;
}) {
  const money = (m: number) => formatMoney(m, preview.currency);
  const cat = preview.category;
  const excludedTotal = Object.values(preview.excluded).reduce((a, b) => a + b, 0) + duplicates;
  const rows: Array<{ key: string; label: string; count: number; cost: string; tone?: "charge" | "free" }> =
    [];
  if (preview.model === "cbp") {
    rows.push({
      key: "opens",
      label: `Open a new ${cat} conversation${preview.unitMicros !== null ? ` (${money(preview.unitMicros)} each)` : ""}`,
      count: preview.opens.count,
      cost: money(preview.opens.costMicros),
      tone: "charge",
    });
    rows.push({
      key: "insideOpen",
      label: `Inside an already-open ${cat} conversation — no charge`,
      count: preview.insideOpen.count,
      cost: money(0),
      tone: "free",
    });
  } else {
    rows.push({
      key: "charged",
      label: `Billable ${cat} messages${preview.unitMicros !== null ? ` (${money(preview.unitMicros)} each)` : ""}`,
      count: preview.chargedMessages.count,
      cost: money(preview.chargedMessages.costMicros),
      tone: "charge",
    });
    rows.push({
      key: "freeCs",
      label: "Utility inside the customer service window — free",
      count: preview.freeCustomerService.count,
      cost: money(0),
      tone: "free",
    });
  }
  rows.push({
    key: "fep",
    label: "Inside a free entry point window — free",
    count: preview.freeEntryPoint.count,
    cost: money(0),
    tone: "free",
  });

  return (
    <section aria-label={title} className="grid gap-3 rounded-lg border p-4">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="font-semibold">{title}</h3>
        <p className="text-xs text-muted-foreground">
          {preview.model === "cbp" ? "Conversation-based pricing" : "Per-message pricing"} · states read{" "}
          {new Intl.DateTimeFormat("en-US", { timeZone, dateStyle: "medium", timeStyle: "short" }).format(
            new Date(preview.at),
          )}
        </p>
      </header>
      <p className="text-sm">
        {plural(preview.sendable, "recipient")} will be sent the template
        {excludedTotal > 0 ? `; ${plural(excludedTotal, "number")} excluded` : ""}.
      </p>
      <table className="w-full text-sm">
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} className="border-t" data-testid={`preview-${r.key}`}>
              <td className="py-1.5 pr-2">{r.label}</td>
              <td className="py-1.5 pr-2 text-right tabular-nums">{r.count.toLocaleString("en-US")}</td>
              <td
                className={`py-1.5 text-right tabular-nums ${r.tone === "free" ? "text-muted-foreground" : ""}`}
              >
                {r.cost}
              </td>
            </tr>
          ))}
          <tr className="border-t font-semibold">
            <td className="py-1.5 pr-2">Total</td>
            <td className="py-1.5 pr-2 text-right tabular-nums">
              {preview.sendable.toLocaleString("en-US")}
            </td>
            <td className="py-1.5 text-right tabular-nums" data-testid="preview-total">
              {money(preview.totalCostMicros)}
            </td>
          </tr>
        </tbody>
      </table>
      {excludedTotal > 0 && (
        <div className="grid gap-1 text-sm">
          <p className="font-medium">Excluded (not sent)</p>
          <ul className="flex flex-wrap gap-x-4 gap-y-1 text-muted-foreground">
            {(Object.keys(EXCLUSION_LABELS) as ExclusionReason[])
              .map(
                (k) =>
                  [
                    k,
                    k === "duplicate" ? preview.excluded.duplicate + duplicates : preview.excluded[k],
                  ] as const,
              )
              .filter(([, n]) => n > 0)
              .map(([k, n]) => (
                <li key={k}>
                  {EXCLUSION_LABELS[k]}: <span className="tabular-nums">{n.toLocaleString("en-US")}</span>
                </li>
              ))}
          </ul>
          {excludedList && excludedList.length > 0 && (
            <details>
              <summary className="cursor-pointer text-xs text-muted-foreground">Show who and why</summary>
              <ul className="mt-1 max-h-48 overflow-y-auto text-xs">
                {excludedList.map((e) => (
                  <li key={`${e.waId}-${e.reason}`} className="flex gap-2 border-t py-1">
                    <span className="font-mono">{e.waId}</span>
                    <span className="text-muted-foreground">{e.detail}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </section>
  );
}
