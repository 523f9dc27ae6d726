"use client";

import { ChevronLeftIcon, ChevronRightIcon, DownloadIcon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import type { PricingModel } from "@/lib/domain";
import { CATEGORY_LABELS, MODEL_LABELS } from "./labels";
import { costsHref, PERIOD_KINDS, type PeriodKind } from "./period";

type Option = { id: string; name: string };

export type CostsFiltersProps = {
  /** The current URL parameters (period, date/from/to, inbox, agent, category, model). */
  query: Record<string, string | undefined>;
  title: string;
  prevHref: string;
  nextHref: string;
  today: string;
  inboxes: Option[];
  agents: Option[];
  categories: string[];
  workspaceModel: PricingModel;
};

const ALL = "all";
const KIND_LABELS: Record<PeriodKind, string> = {
  day: "Day",
  week: "Week",
  month: "Month",
  custom: "Custom",
};

/** Period picker (UTC) and filters; every change is a URL change, so views can be bookmarked and shared. */
export function CostsFilters(props: CostsFiltersProps) {
  const { query } = props;
  const router = useRouter();
  const [pending, start] = useTransition();
  const [from, setFrom] = useState(query.from ?? `${props.today.slice(0, 8)}01`);
  const [to, setTo] = useState(query.to ?? props.today);
  const go = (change: Record<string, string | null | undefined>) =>
    start(() => router.push(costsHref(query, change)));
  const kind = (query.period ?? "month") as PeriodKind;

  return (
    <section aria-label="Period and filters" className="grid gap-3" aria-busy={pending}>
      <div className="flex flex-wrap items-end gap-3">
        <Tabs
          value={kind}
          onValueChange={(v) =>
            go({
              period: v,
              date: v === "month" ? props.today.slice(0, 7) : v === "custom" ? null : props.today,
              from: v === "custom" ? from : null,
              to: v === "custom" ? to : null,
            })
          }
        >
          <TabsList aria-label="Period">
            {PERIOD_KINDS.map((k) => (
              <TabsTrigger key={k} value={k}>
                {KIND_LABELS[k]}
              </TabsTrigger>
            ))}
          </TabsList>
        </Tabs>
        <div className="flex items-center gap-1">
          <Button asChild variant="outline" size="icon-sm" aria-label="Previous period">
            <Link href={props.prevHref}>
              <ChevronLeftIcon />
            </Link>
          </Button>
          {kind === "custom" ? (
            <form
              className="flex items-center gap-1"
              onSubmit={(e) => {
                e.preventDefault();
                go({ from, to });
              }}
            >
              <Label className="sr-only" htmlFor="costs-from">
                From
              </Label>
              <Input
                id="costs-from"
                type="date"
                value={from}
                onChange={(e) => setFrom(e.target.value)}
                className="h-8 w-36"
              />
              <span className="text-muted-foreground text-sm">to</span>
              <Label className="sr-only" htmlFor="costs-to">
                To
              </Label>
              <Input
                id="costs-to"
                type="date"
                value={to}
                onChange={(e) => setTo(e.target.value)}
                className="h-8 w-36"
              />
              <Button type="submit" size="sm" variant="secondary">
                Apply
              </Button>
            </form>
          ) : (
            <>
              <Label className="sr-only" htmlFor="costs-date">
                {kind === "month" ? "Month" : "Date"}
              </Label>
              <Input
                id="costs-date"
                type={kind === "month" ? "month" : "date"}
                value={query.date ?? ""}
                onChange={(e) => e.target.value && go({ date: e.target.value })}
                className="h-8 w-40"
              />
            </>
          )}
          <Button asChild variant="outline" size="icon-sm" aria-label="Next period">
            <Link href={props.nextHref}>
              <ChevronRightIcon />
            </Link>
          </Button>
        </div>
        <p className="text-muted-foreground text-sm">
          <span className="font-medium text-foreground">{props.title}</span> · times in UTC (Meta bills by UTC
          calendar month)
        </p>
        {pending && <span className="text-muted-foreground text-sm">Updating…</span>}
      </div>

      <div className="flex flex-wrap items-end gap-3">
        <FilterSelect
          label="Inbox"
          value={query.inbox}
          options={props.inboxes}
          allLabel="All inboxes"
          onChange={(v) => go({ inbox: v })}
        />
        <FilterSelect
          label="Agent"
          value={query.agent}
          options={[...props.agents, { id: "none", name: "No agent (API, automation)" }]}
          allLabel="All agents"
          onChange={(v) => go({ agent: v })}
        />
        <FilterSelect
          label="Category"
          value={query.category}
          options={props.categories.map((c) => ({ id: c, name: CATEGORY_LABELS[c] ?? c }))}
          allLabel="All categories"
          onChange={(v) => go({ category: v })}
        />
        <FilterSelect
          label="Pricing model"
          value={query.model}
          options={(["cbp", "pmp"] as const).map((m) => ({ id: m, name: MODEL_LABELS[m] }))}
          allLabel={`Workspace setting: ${MODEL_LABELS[props.workspaceModel]}`}
          onChange={(v) => go({ model: v })}
        />
        <div className="ml-auto flex gap-2">
          <Button asChild variant="outline" size="sm">
            <a href={costsHref(query, { kind: "items" }, "/api/costs/export")} download>
              <DownloadIcon /> Items CSV
            </a>
          </Button>
          <Button asChild variant="outline" size="sm">
            <a href={costsHref(query, { kind: "summary" }, "/api/costs/export")} download>
              <DownloadIcon /> Summary CSV
            </a>
          </Button>
        </div>
      </div>
    </section>
  );
}

function FilterSelect(props: {
  label: string;
  value: string | undefined;
  options: Option[];
  allLabel: string;
  onChange: (value: string | null) => void;
}) {
  const id = `costs-filter-${props.label.toLowerCase().replace(/\s+/g, "-")}`;
  return (
    <div className="grid gap-1">
      <Label htmlFor={id} className="text-muted-foreground text-xs">
        {props.label}
      </Label>
      <Select value={props.value ?? ALL} onValueChange={(v) => props.onChange(v === ALL ? null : v)}>
        <SelectTrigger id={id} className="min-w-44" aria-label={props.label}>
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>{props.allLabel}</SelectItem>
          {props.options.map((o) => (
            <SelectItem key={o.id} value={o.id}>
              {o.name}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    </div>
  );
}
