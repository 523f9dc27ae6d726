"use client";

import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import type { PricingModel } from "@/lib/domain";
import { categoryLabel } from "./labels";
import { formatMoney } from "./money";

export type PriceRowProps = {
  id: string;
  category: string;
  market: string | null;
  micros: number;
  currency: string;
  tierFromVolume: number;
  effectiveFrom: string;
};

/** Marks, per category × market × tier, the row in force now, the scheduled ones and the past ones. */
function status(rows: PriceRowProps[], now: string): Map<string, "in force" | "scheduled" | "past"> {
  const out = new Map<string, "in force" | "scheduled" | "past">();
  const groups = new Map<string, PriceRowProps[]>();
  for (const r of rows) {
    const k = `${r.category}|${r.market ?? ""}|${r.tierFromVolume}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const list of groups.values()) {
    const current = list
      .filter((r) => r.effectiveFrom <= now)
      .sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))[0];
    for (const r of list)
      out.set(r.id, r.effectiveFrom > now ? "scheduled" : r === current ? "in force" : "past");
  }
  return out;
}

export function PriceTable(props: {
  rows: PriceRowProps[];
  model: PricingModel;
  now: string;
  openFrom: string;
  canEdit: boolean;
  remove: (id: unknown) => Promise<ActionResult<null>>;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const marks = status(props.rows, props.now);
  if (props.rows.length === 0) {
    return (
      <p className="text-muted-foreground text-sm">
        No prices for this model: the seed&apos;s defaults apply (marketing US$0.0625, utility US$0.0080,
        authentication US$0.0315, service US$0.0000). Add a price to change them.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm [&_td]:px-2 [&_td:first-child]:pl-0 [&_td:last-child]:pr-0 [&_th]:px-2 [&_th:first-child]:pl-0 [&_th:last-child]:pr-0">
        <thead>
          <tr className="border-b text-left text-muted-foreground">
            <th className="py-2 font-medium">Category</th>
            <th className="py-2 font-medium">Market</th>
            {props.model === "pmp" && <th className="py-2 text-right font-medium">From volume</th>}
            <th className="py-2 text-right font-medium">Price</th>
            <th className="py-2 text-right font-medium">Micros</th>
            <th className="py-2 font-medium">Effective from</th>
            <th className="py-2 font-medium">Status</th>
            {props.canEdit && <th className="py-2" />}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => {
            const mark = marks.get(r.id)!;
            const removable = r.effectiveFrom.slice(0, 10) >= props.openFrom;
            return (
              <tr key={r.id} className="border-b last:border-0">
                <td className="py-2">{categoryLabel(r.category)}</td>
                <td className="py-2">{r.market ? `+${r.market}` : "Every country"}</td>
                {props.model === "pmp" && (
                  <td className="py-2 text-right tabular-nums">{r.tierFromVolume.toLocaleString("en-US")}</td>
                )}
                <td className="py-2 text-right tabular-nums">{formatMoney(r.micros, r.currency)}</td>
                <td className="py-2 text-right text-muted-foreground tabular-nums">
                  {r.micros.toLocaleString("en-US")}
                </td>
                <td className="py-2">{r.effectiveFrom.slice(0, 16).replace("T", " ")} UTC</td>
                <td className="py-2">
                  <Badge
                    variant={mark === "in force" ? "success" : mark === "scheduled" ? "warning" : "muted"}
                  >
                    {mark}
                  </Badge>
                </td>
                {props.canEdit && (
                  <td className="py-2 text-right">
                    {removable ? (
                      <Button
                        variant="ghost"
                        size="sm"
                        disabled={pending}
                        onClick={() =>
                          start(async () => {
                            const res = await props.remove(r.id);
                            if (res.ok) {
                              toast.success("Price removed. Costs from its date are being recomputed.");
                              router.refresh();
                            } else toast.error(res.error.message);
                          })
                        }
                      >
                        Remove
                      </Button>
                    ) : (
                      <span
                        className="text-muted-foreground text-xs"
                        title="It priced a closed month, so it stays"
                      >
                        kept
                      </span>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
