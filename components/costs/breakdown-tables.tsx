"use client";

import { ArrowDownIcon, ArrowUpIcon } from "lucide-react";
import { type ReactNode, useState } from "react";
import { cn } from "@/lib/utils";
import { CATEGORY_COLORS, categoryLabel } from "./labels";
import { formatMoney, shareBps } from "./money";

type Column<T> = {
  key: string;
  label: string;
  numeric?: boolean;
  value: (row: T) => number | string;
  render?: (row: T) => ReactNode;
};

/** A table whose column headers sort it (click again to reverse); numbers sort descending first. */
export function SortableTable<T>(props: {
  caption: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  initialSort: string;
  footer?: ReactNode;
  empty: string;
}) {
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: props.initialSort, desc: true });
  const col = props.columns.find((c) => c.key === sort.key) ?? props.columns[0];
  const rows = [...props.rows].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sort.desc ? -cmp : cmp;
  });
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">{props.caption}</caption>
        <thead>
          <tr className="border-b text-muted-foreground">
            {props.columns.map((c) => {
              const active = c.key === sort.key;
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"}
                  className={cn(
                    "px-2 py-2 font-medium first:pl-0 last:pr-0",
                    c.numeric ? "text-right" : "text-left",
                  )}
                >
                  <button
                    type="button"
                    className={cn(
                      "inline-flex items-center gap-1 hover:text-foreground",
                      active && "text-foreground",
                    )}
                    onClick={() =>
                      setSort(
                        active ? { key: c.key, desc: !sort.desc } : { key: c.key, desc: Boolean(c.numeric) },
                      )
                    }
                  >
                    {c.label}
                    {active &&
                      (sort.desc ? <ArrowDownIcon className="size-3" /> : <ArrowUpIcon className="size-3" />)}
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} className="py-4 text-center text-muted-foreground">
                {props.empty}
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={props.rowKey(r)} className="border-b last:border-0">
                {props.columns.map((c) => (
                  <td
                    key={c.key}
                    className={cn("px-2 py-2 first:pl-0 last:pr-0", c.numeric && "text-right tabular-nums")}
                  >
                    {c.render ? c.render(r) : c.value(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
        {props.footer}
      </table>
    </div>
  );
}

type Row = { count: number; billable: number; free: number; costMicros: number };
export type CategoryRow = Row & { category: string; unitPriceMicros: number | null; priceChanged: boolean };
export type InboxRow = Row & { inboxId: string; name: string; wabaId: string };
export type AgentRow = Row & { userId: string | null; name: string };

function Share(props: { part: number; whole: number }) {
  const bps = shareBps(props.part, props.whole);
  return (
    <span className="inline-flex items-center gap-2">
      <span className="hidden h-1.5 w-16 overflow-hidden rounded bg-muted sm:inline-block" aria-hidden>
        <span className="block h-full bg-primary" style={{ width: `${bps / 100}%` }} />
      </span>
      {(bps / 100).toFixed(1)}%
    </span>
  );
}

/** The three breakdowns: by category (count, unit price, cost), by inbox and by agent. */
export function BreakdownTables(props: {
  currency: string;
  unitLabel: string;
  total: number;
  byCategory: CategoryRow[];
  byInbox: InboxRow[];
  byAgent: AgentRow[];
}) {
  const money = (m: number) => formatMoney(m, props.currency);
  const common = <R extends Row>(): Column<R>[] => [
    { key: "count", label: props.unitLabel, numeric: true, value: (r) => r.count },
    { key: "billable", label: "Billable", numeric: true, value: (r) => r.billable },
    { key: "free", label: "Free", numeric: true, value: (r) => r.free },
    {
      key: "cost",
      label: "Cost",
      numeric: true,
      value: (r) => r.costMicros,
      render: (r) => money(r.costMicros),
    },
    {
      key: "share",
      label: "Share",
      numeric: true,
      value: (r) => r.costMicros,
      render: (r) => <Share part={r.costMicros} whole={props.total} />,
    },
  ];
  return (
    <div className="grid gap-8 lg:grid-cols-2">
      <section aria-labelledby="by-category" className="grid content-start gap-2 lg:col-span-2">
        <h3 id="by-category" className="font-medium">
          By category
        </h3>
        <SortableTable<CategoryRow>
          caption="Cost by category"
          rows={props.byCategory}
          rowKey={(r) => r.category}
          initialSort="cost"
          empty="Nothing in this period."
          columns={[
            {
              key: "category",
              label: "Category",
              value: (r) => categoryLabel(r.category),
              render: (r) => (
                <span className="inline-flex items-center gap-2">
                  <span
                    aria-hidden
                    className="size-2.5 rounded-sm"
                    style={{ background: CATEGORY_COLORS[r.category] ?? "#64748b" }}
                  />
                  {categoryLabel(r.category)}
                </span>
              ),
            },
            ...common<CategoryRow>().slice(0, 3),
            {
              key: "unit",
              label: "Unit price",
              numeric: true,
              value: (r) => r.unitPriceMicros ?? 0,
              render: (r) =>
                r.unitPriceMicros === null ? (
                  "—"
                ) : (
                  <span title={r.priceChanged ? "The price changed during this period" : undefined}>
                    {money(r.unitPriceMicros)}
                    {r.priceChanged && " *"}
                  </span>
                ),
            },
            ...common<CategoryRow>().slice(3),
          ]}
        />
        {props.byCategory.some((r) => r.priceChanged) && (
          <p className="text-muted-foreground text-xs">
            * The price changed during the period; the unit price shown is the one in force at its end. Costs
            use the price in force when each item was billed.
          </p>
        )}
      </section>
      <section aria-labelledby="by-inbox" className="grid content-start gap-2">
        <h3 id="by-inbox" className="font-medium">
          By inbox
        </h3>
        <SortableTable<InboxRow>
          caption="Cost by inbox"
          rows={props.byInbox}
          rowKey={(r) => r.inboxId}
          initialSort="cost"
          empty="No inbox had activity in this period."
          columns={[{ key: "name", label: "Inbox", value: (r) => r.name }, ...common<InboxRow>()]}
        />
      </section>
      <section aria-labelledby="by-agent" className="grid content-start gap-2">
        <h3 id="by-agent" className="font-medium">
          By agent
        </h3>
        <SortableTable<AgentRow>
          caption="Cost by agent who opened the conversation"
          rows={props.byAgent}
          rowKey={(r) => r.userId ?? "none"}
          initialSort="cost"
          empty="No agent sent anything billable in this period."
          columns={[{ key: "name", label: "Agent", value: (r) => r.name }, ...common<AgentRow>()]}
        />
        <p className="text-muted-foreground text-xs">
          The agent who sent the message that opened (or was billed for) it.
        </p>
      </section>
    </div>
  );
}
