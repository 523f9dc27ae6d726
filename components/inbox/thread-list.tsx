"use client";

import { EyeIcon, SearchIcon } from "lucide-react";
import { memo, useEffect, useRef } from "react";
import { Avatar, AvatarFallback, initials } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { THREAD_STATUSES } from "@/lib/domain";
import type { ThreadSummary } from "@/lib/realtime/events";
import { formatClock } from "@/lib/ui-format/money";
import { cn } from "@/lib/utils";
import { useI18n } from "./i18n-context";
import { nowMs } from "./use-now";
import { WindowLabel } from "./window-label";

export type ListFilters = {
  view: "mine" | "unassigned" | "all";
  status: (typeof THREAD_STATUSES)[number] | "active" | "all";
  inboxId: string;
  q: string;
};

type Props = {
  filters: ListFilters;
  onFilters: (f: ListFilters) => void;
  searchText: string;
  onSearchText: (q: string) => void;
  searchRef: React.RefObject<HTMLInputElement | null>;
  inboxes: { id: string; name: string }[];
  threads: ThreadSummary[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  viewersByThread: Record<string, { userId: string; name: string }[]>;
  meId: string;
};

const Row = memo(function Row({
  s,
  selected,
  inboxName,
  viewers,
  onSelect,
}: {
  s: ThreadSummary;
  selected: boolean;
  inboxName: string | null;
  viewers: string[];
  onSelect: (id: string) => void;
}) {
  const { t, locale, timeZone } = useI18n();
  const name = s.contactName ?? `+${s.waId}`;
  return (
    <li>
      <a
        href={`/inbox/${s.id}`}
        data-thread-id={s.id}
        aria-current={selected ? "page" : undefined}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          onSelect(s.id);
        }}
        className={cn(
          "flex gap-3 border-b px-3 py-2.5 outline-none transition-colors hover:bg-accent/60 focus-visible:bg-accent focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:ring-inset",
          selected && "bg-accent",
        )}
      >
        <Avatar className="mt-0.5 size-9">
          <AvatarFallback>{initials(name)}</AvatarFallback>
        </Avatar>
        <div className="flex min-w-0 flex-1 flex-col gap-1">
          <div className="flex items-center gap-2">
            <span className={cn("truncate text-sm", s.unreadCount > 0 ? "font-semibold" : "font-medium")}>
              {name}
            </span>
            {inboxName && <span className="shrink-0 text-[11px] text-muted-foreground">· {inboxName}</span>}
            <time dateTime={s.lastMessageAt} className="ml-auto shrink-0 text-xs text-muted-foreground">
              {formatClock(s.lastMessageAt, new Date(nowMs()), locale, timeZone)}
            </time>
          </div>
          <div className="flex items-center gap-2">
            <span className="line-clamp-1 flex-1 text-xs text-muted-foreground">
              {s.lastMessagePreview ?? ""}
            </span>
            {s.unreadCount > 0 && (
              <span className="flex h-5 min-w-5 items-center justify-center rounded-full bg-primary px-1.5 text-[11px] font-semibold text-primary-foreground">
                <span aria-hidden>{s.unreadCount}</span>
                <span className="sr-only">{t("list.unread", { count: s.unreadCount })}</span>
              </span>
            )}
          </div>
          <div className="flex items-center gap-2">
            <WindowLabel
              cswExpiresAt={s.cswExpiresAt}
              fepExpiresAt={s.fepExpiresAt}
              className="flex-nowrap"
            />
            {viewers.length > 0 && (
              <span title={t("list.viewing", { name: viewers.join(", ") })} className="text-muted-foreground">
                <EyeIcon className="size-3.5" aria-label={t("list.viewing", { name: viewers.join(", ") })} />
              </span>
            )}
            <span className="ml-auto">
              {s.assigneeId ? (
                <Avatar className="size-5" title={t("list.assignedTo", { name: s.assigneeName ?? "?" })}>
                  <AvatarFallback className="bg-primary/15 text-[9px] text-primary">
                    <span className="sr-only">{t("list.assignedTo", { name: s.assigneeName ?? "?" })}</span>
                    <span aria-hidden>{initials(s.assigneeName)}</span>
                  </AvatarFallback>
                </Avatar>
              ) : (
                <span className="text-[11px] text-muted-foreground">{t("list.unassigned")}</span>
              )}
            </span>
          </div>
        </div>
      </a>
    </li>
  );
});

/** Filters, search and the live list of threads (newest activity first, loaded a page at a time). */
export function ThreadList({
  filters,
  onFilters,
  searchText,
  onSearchText,
  searchRef,
  inboxes,
  threads,
  selectedId,
  onSelect,
  hasMore,
  loading,
  onLoadMore,
  viewersByThread,
  meId,
}: Props) {
  const { t } = useI18n();
  const sentinel = useRef<HTMLDivElement>(null);
  const inboxName = (id: string) =>
    inboxes.length > 1 ? (inboxes.find((i) => i.id === id)?.name ?? null) : null;

  // Load the next page when the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onLoadMore();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore, onLoadMore]);

  return (
    <nav aria-label={t("list.label")} className="flex h-full min-h-0 flex-col">
      <div className="flex flex-col gap-2 border-b p-3">
        <div className="relative">
          <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" />
          <Input
            ref={searchRef}
            type="search"
            value={searchText}
            onChange={(e) => onSearchText(e.target.value)}
            aria-label={t("list.search")}
            placeholder={t("list.searchPlaceholder")}
            className="pl-8"
          />
        </div>
        <Tabs
          value={filters.view}
          onValueChange={(v) => onFilters({ ...filters, view: v as ListFilters["view"] })}
        >
          <TabsList aria-label={t("list.view")} className="w-full">
            <TabsTrigger value="mine">{t("list.viewMine")}</TabsTrigger>
            <TabsTrigger value="unassigned">{t("list.viewUnassigned")}</TabsTrigger>
            <TabsTrigger value="all">{t("list.viewAll")}</TabsTrigger>
          </TabsList>
        </Tabs>
        <div className="flex gap-2">
          <Select
            value={filters.status}
            onValueChange={(v) => onFilters({ ...filters, status: v as ListFilters["status"] })}
          >
            <SelectTrigger aria-label={t("list.status")} className="flex-1">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="active">{t("status.active")}</SelectItem>
              {THREAD_STATUSES.map((s) => (
                <SelectItem key={s} value={s}>
                  {t(`status.${s}`)}
                </SelectItem>
              ))}
              <SelectItem value="all">{t("status.all")}</SelectItem>
            </SelectContent>
          </Select>
          {inboxes.length > 1 && (
            <Select value={filters.inboxId} onValueChange={(v) => onFilters({ ...filters, inboxId: v })}>
              <SelectTrigger aria-label={t("list.inbox")} className="flex-1">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="all">{t("list.allInboxes")}</SelectItem>
                {inboxes.map((i) => (
                  <SelectItem key={i.id} value={i.id}>
                    {i.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          )}
        </div>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <ul>
          {threads.map((s) => (
            <Row
              key={s.id}
              s={s}
              selected={s.id === selectedId}
              inboxName={inboxName(s.inboxId)}
              viewers={(viewersByThread[s.id] ?? []).filter((v) => v.userId !== meId).map((v) => v.name)}
              onSelect={onSelect}
            />
          ))}
        </ul>
        {threads.length === 0 && !loading && (
          <p className="p-6 text-center text-sm text-muted-foreground">{t("list.empty")}</p>
        )}
        {loading && <p className="p-4 text-center text-sm text-muted-foreground">{t("list.loading")}</p>}
        {hasMore && !loading && (
          <div ref={sentinel} className="p-3 text-center">
            <Button variant="ghost" size="sm" onClick={onLoadMore}>
              {t("list.loadMore")}
            </Button>
          </div>
        )}
      </div>
    </nav>
  );
}
