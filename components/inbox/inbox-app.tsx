"use client";

import { WifiOffIcon } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import {
  assignThreadAction,
  claimThreadAction,
  markThreadReadAction,
  setThreadStatusAction,
} from "@/app/(inbox)/inbox/actions";
import { Sheet, SheetContent, SheetTitle } from "@/components/ui/sheet";
import { toast } from "@/components/ui/toast";
import { getSocket, useConnection, useSocketEvent } from "@/lib/realtime/client";
import type { ThreadSummary } from "@/lib/realtime/events";
import type { CannedResponse } from "@/lib/services/canned-responses";
import type { ThreadView } from "@/lib/services/inbox-view";
import type { MessageView } from "@/lib/services/threads";
import { cn } from "@/lib/utils";
import type { ComposerHandle } from "./composer";
import { Conversation } from "./conversation";
import { DetailsPane } from "./details-pane";
import { useI18n } from "./i18n-context";
import type { NavLink } from "./nav-links";
import { NewConversationDialog } from "./new-conversation-dialog";
import { chime, notificationsWanted, notify } from "./notifications";
import { type ListFilters, ThreadList } from "./thread-list";
import { TopBar } from "./top-bar";
import { syncServerClock } from "./use-now";

type Me = { id: string; name: string; email: string; role: string };
type Viewer = { userId: string; name: string; typing: boolean };

export type InboxAppProps = {
  me: Me;
  links: NavLink[];
  inboxes: { id: string; name: string }[];
  initialFilters: ListFilters;
  initialList: { threads: ThreadSummary[]; nextCursor: string | null };
  initialView: ThreadView | null;
  /** The URL named a thread this user cannot open (or that does not exist). */
  initialNotFound: boolean;
  canned: CannedResponse[];
  serverNow: string;
};

function listUrl(f: ListFilters, cursor?: string | null) {
  const sp = new URLSearchParams({ view: f.view, status: f.status });
  if (f.inboxId !== "all") sp.set("inboxId", f.inboxId);
  if (f.q.trim()) sp.set("q", f.q.trim());
  if (cursor) sp.set("cursor", cursor);
  return `/api/inbox/threads?${sp}`;
}

/** Whether a row belongs in the list under the current filters (search needs the server: only rows already shown update). */
function matches(s: ThreadSummary, f: ListFilters, meId: string): boolean {
  if (
    f.status === "active"
      ? s.status !== "open" && s.status !== "pending"
      : f.status !== "all" && s.status !== f.status
  ) {
    return false;
  }
  if (f.inboxId !== "all" && s.inboxId !== f.inboxId) return false;
  if (f.view === "mine" && s.assigneeId !== meId) return false;
  if (f.view === "unassigned" && s.assigneeId !== null) return false;
  return true;
}

const byActivity = (a: ThreadSummary, b: ThreadSummary) =>
  a.lastMessageAt === b.lastMessageAt ? (a.id < b.id ? 1 : -1) : a.lastMessageAt < b.lastMessageAt ? 1 : -1;

function mergeMessages(current: MessageView[], fresh: MessageView[]): MessageView[] {
  const map = new Map(current.map((m) => [m.id, m]));
  for (const m of fresh) map.set(m.id, m);
  return [...map.values()].sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at < b.at ? -1 : 1));
}

/**
 * The agents' inbox: thread list, conversation and details, kept live over
 * Socket.IO. After a disconnect it refetches the list and the open thread, so
 * nothing missed while offline stays missing.
 */
export function InboxApp(props: InboxAppProps) {
  const { me } = props;
  const { t } = useI18n();
  useState(() => syncServerClock(props.serverNow));

  const [filters, setFilters] = useState<ListFilters>(props.initialFilters);
  const [searchText, setSearchText] = useState(props.initialFilters.q);
  const [threads, setThreads] = useState<ThreadSummary[]>(props.initialList.threads);
  const [nextCursor, setNextCursor] = useState<string | null>(props.initialList.nextCursor);
  const [listLoading, setListLoading] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(props.initialView?.thread.id ?? null);
  const [view, setView] = useState<ThreadView | null>(props.initialView);
  const [notFound, setNotFound] = useState(props.initialNotFound);
  const [busy, setBusy] = useState(false);
  const [viewers, setViewers] = useState<Record<string, Viewer[]>>({});
  const [online, setOnline] = useState<{ userId: string; name: string }[]>([]);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const listRequest = useRef(0);
  const viewRequest = useRef(0);
  const composerRef = useRef<ComposerHandle>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const threadsRef = useRef(threads);
  threadsRef.current = threads;
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const connection = useConnection();

  // Open the socket once; the server puts it in the rooms of every inbox this user may see.
  useEffect(() => {
    getSocket();
  }, []);

  /* ------------------------------------------------------------- list */

  const loadList = useCallback(
    async (f: ListFilters, cursor?: string | null) => {
      const req = ++listRequest.current;
      setListLoading(true);
      try {
        const res = await fetch(listUrl(f, cursor));
        if (!res.ok) throw new Error(String(res.status));
        const page = (await res.json()) as { threads: ThreadSummary[]; nextCursor: string | null };
        if (req !== listRequest.current) return;
        setThreads((prev) => {
          if (!cursor) return page.threads;
          const seen = new Set(prev.map((x) => x.id));
          return [...prev, ...page.threads.filter((x) => !seen.has(x.id))];
        });
        setNextCursor(page.nextCursor);
      } catch {
        if (req === listRequest.current) toast.error(t("errors.generic"));
      } finally {
        if (req === listRequest.current) setListLoading(false);
      }
    },
    [t],
  );

  const changeFilters = useCallback(
    (f: ListFilters) => {
      setFilters(f);
      void loadList(f);
    },
    [loadList],
  );

  // Search as you type, a moment after the last keystroke.
  useEffect(() => {
    if (searchText === filtersRef.current.q) return;
    const timer = setTimeout(() => changeFilters({ ...filtersRef.current, q: searchText }), 250);
    return () => clearTimeout(timer);
  }, [searchText, changeFilters]);

  const loadMore = useCallback(() => {
    if (nextCursor && !listLoading) void loadList(filtersRef.current, nextCursor);
  }, [nextCursor, listLoading, loadList]);

  /* ----------------------------------------------------------- thread */

  const fetchView = useCallback(async (id: string, merge: boolean) => {
    const req = ++viewRequest.current;
    const res = await fetch(`/api/inbox/threads/${id}`);
    if (req !== viewRequest.current && !merge) return;
    if (res.status === 404) {
      if (selectedRef.current === id) {
        setView(null);
        setNotFound(true);
      }
      return;
    }
    if (!res.ok) return;
    const fresh = (await res.json()) as ThreadView;
    if (selectedRef.current !== id) return;
    setNotFound(false);
    setView((cur) =>
      merge && cur && cur.thread.id === id
        ? { ...fresh, messages: mergeMessages(cur.messages, fresh.messages), olderCursor: cur.olderCursor }
        : fresh,
    );
  }, []);

  const markRead = useCallback((id: string) => {
    const row = threadsRef.current.find((x) => x.id === id);
    if (row && row.unreadCount === 0) return;
    setThreads((prev) => prev.map((x) => (x.id === id ? { ...x, unreadCount: 0 } : x)));
    void markThreadReadAction(id);
  }, []);

  const select = useCallback(
    (id: string, opts: { push?: boolean } = {}) => {
      if (id === selectedRef.current && view) return;
      setSelectedId(id);
      setNotFound(false);
      setView((cur) => (cur?.thread.id === id ? cur : null));
      if (opts.push !== false) window.history.pushState(null, "", `/inbox/${id}`);
      void fetchView(id, false);
      markRead(id);
    },
    [fetchView, markRead, view],
  );

  // Back / forward between threads.
  useEffect(() => {
    const onPop = () => {
      const m = /^\/inbox\/([0-9a-f-]{36})$/i.exec(window.location.pathname);
      if (m) select(m[1], { push: false });
      else {
        setSelectedId(null);
        setView(null);
      }
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [select]);

  const refreshView = useCallback(async () => {
    if (selectedRef.current) await fetchView(selectedRef.current, true);
  }, [fetchView]);

  const changeView = useCallback((updater: (v: ThreadView) => ThreadView) => {
    setView((cur) => (cur ? updater(cur) : cur));
  }, []);

  /* ----------------------------------------------------------- live */

  const applySummary = useCallback(
    (s: ThreadSummary) => {
      const prev = threadsRef.current.find((x) => x.id === s.id);
      setThreads((list) => {
        const f = filtersRef.current;
        const i = list.findIndex((x) => x.id === s.id);
        const keep = matches(s, f, me.id) || s.id === selectedRef.current;
        if (i < 0) {
          // Search results need the server; a row older than the loaded page arrives with pagination.
          if (!keep || f.q.trim()) return list;
          const last = list[list.length - 1];
          if (nextCursor && last && s.lastMessageAt < last.lastMessageAt) return list;
          return [...list, s].sort(byActivity);
        }
        if (!keep) return list.filter((x) => x.id !== s.id);
        const next = list.slice();
        next[i] = s;
        return next.sort(byActivity);
      });
      if (s.id === selectedRef.current) {
        setView((cur) => (cur && cur.thread.id === s.id ? { ...cur, thread: { ...cur.thread, ...s } } : cur));
        if (s.unreadCount > 0 && document.visibilityState === "visible") markRead(s.id);
      }
      // New customer message on a thread that is mine or nobody's: notify (opt-in) and chime.
      const grew = s.unreadCount > (prev?.unreadCount ?? 0);
      if (grew && (s.assigneeId === null || s.assigneeId === me.id)) {
        const away = document.visibilityState !== "visible" || s.id !== selectedRef.current;
        if (away && notificationsWanted()) {
          chime();
          notify(
            t("notify.newMessage", { name: s.contactName ?? `+${s.waId}` }),
            s.lastMessagePreview ?? "",
            () => select(s.id),
          );
        }
      }
    },
    [me.id, nextCursor, markRead, select, t],
  );

  useSocketEvent("thread:upsert", applySummary);
  useSocketEvent("thread:viewers", (e) => setViewers((v) => ({ ...v, [e.threadId]: e.viewers })));
  useSocketEvent("presence:update", (e) => setOnline(e.online));
  useSocketEvent("thread:window", (e) => {
    // Rows re-render from their own clock; this nudges rows whose expiry moved meanwhile.
    if (!threadsRef.current.some((x) => x.id === e.threadId)) return;
    if (e.threadId !== selectedRef.current) return;
    void refreshView();
  });

  // Back online after a disconnect: refetch what may have changed meanwhile.
  const lastReconnects = useRef(connection.reconnects);
  useEffect(() => {
    if (connection.reconnects === lastReconnects.current) return;
    lastReconnects.current = connection.reconnects;
    void loadList(filtersRef.current);
    void refreshView();
    toast.info(t("offline.back"));
  }, [connection.reconnects, loadList, refreshView, t]);

  // A banner only when we really are offline (not during the first connect).
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setGraceOver(true), 4_000);
    return () => clearTimeout(timer);
  }, []);
  const offline = !connection.connected && (connection.everConnected || graceOver);

  /* -------------------------------------------------------- actions */

  const claim = useCallback(async () => {
    if (!view) return;
    setBusy(true);
    const r = await claimThreadAction(view.thread.id);
    setBusy(false);
    if (r.ok) {
      applySummary(r.data);
      toast.success(t("assign.done", { name: r.data.assigneeName ?? me.name }));
    } else if (r.error.code === "conflict") {
      toast.error(t("assign.conflict", { name: String(r.error.details?.assigneeName ?? "?") }));
      void refreshView();
    } else toast.error(r.error.message);
  }, [view, applySummary, refreshView, t, me.name]);

  const assign = useCallback(
    async (userId: string | null) => {
      if (!view) return;
      setBusy(true);
      const r = await assignThreadAction(view.thread.id, userId, view.thread.assigneeId);
      setBusy(false);
      if (r.ok) {
        applySummary(r.data);
        toast.success(
          r.data.assigneeName ? t("assign.done", { name: r.data.assigneeName }) : t("assign.released"),
        );
      } else {
        toast.error(r.error.message);
        void refreshView();
      }
    },
    [view, applySummary, refreshView, t],
  );

  const changeStatus = useCallback(
    async (status: "open" | "pending" | "resolved" | "snoozed", snoozedUntil?: string) => {
      if (!view) return;
      setBusy(true);
      const r = await setThreadStatusAction(view.thread.id, { status, snoozedUntil });
      setBusy(false);
      if (r.ok) {
        applySummary(r.data);
        setView((cur) =>
          cur ? { ...cur, thread: { ...cur.thread, snoozedUntil: snoozedUntil ?? null } } : cur,
        );
      } else toast.error(r.error.message);
    },
    [view, applySummary],
  );

  /* ------------------------------------------------------- keyboard */

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return;
      const el = e.target as HTMLElement | null;
      if (el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName))) return;
      if (document.querySelector("[role=menu],[role=dialog]")) return;
      const list = threadsRef.current;
      const i = list.findIndex((x) => x.id === selectedRef.current);
      if (e.key === "j" || e.key === "ArrowDown") {
        const next = list[Math.min(i + 1, list.length - 1)];
        if (next) {
          e.preventDefault();
          select(next.id);
          document
            .querySelector<HTMLElement>(`[data-thread-id="${next.id}"]`)
            ?.scrollIntoView({ block: "nearest" });
        }
      } else if (e.key === "k" || e.key === "ArrowUp") {
        const prev = list[Math.max(i - 1, 0)];
        if (prev) {
          e.preventDefault();
          select(prev.id);
          document
            .querySelector<HTMLElement>(`[data-thread-id="${prev.id}"]`)
            ?.scrollIntoView({ block: "nearest" });
        }
      } else if (e.key === "r" || e.key === "c") {
        e.preventDefault();
        composerRef.current?.focus();
      } else if (e.key === "/") {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [select]);

  /* --------------------------------------------------------- render */

  const details = view ? (
    <DetailsPane view={view} me={me} busy={busy} onClaim={claim} onAssign={assign} onStatus={changeStatus} />
  ) : null;

  return (
    <div className="flex h-dvh flex-col">
      <TopBar me={me} links={props.links} online={online} />
      {offline && (
        <div role="alert" className="flex items-center gap-2 bg-warning/15 px-4 py-1.5 text-sm text-warning">
          <WifiOffIcon className="size-4" />
          {t("offline.banner")}
        </div>
      )}
      <div className="flex min-h-0 flex-1">
        <div
          className={cn(
            "min-h-0 w-full shrink-0 border-r lg:block lg:w-80",
            selectedId || notFound ? "hidden" : "block",
          )}
        >
          <div className="flex h-full min-h-0 flex-col">
            <div className="border-b p-2">
              <NewConversationDialog inboxes={props.inboxes} onOpenThread={(id) => select(id)} />
            </div>
            <div className="min-h-0 flex-1">
              <ThreadList
                filters={filters}
                onFilters={changeFilters}
                searchText={searchText}
                onSearchText={setSearchText}
                searchRef={searchRef}
                inboxes={props.inboxes}
                threads={threads}
                selectedId={selectedId}
                onSelect={(id) => select(id)}
                hasMore={Boolean(nextCursor)}
                loading={listLoading}
                onLoadMore={loadMore}
                viewersByThread={viewers}
                meId={me.id}
              />
            </div>
          </div>
        </div>
        <main className={cn("min-h-0 min-w-0 flex-1", selectedId || notFound ? "block" : "hidden lg:block")}>
          {notFound ? (
            <div
              role="alert"
              className="flex h-full flex-col items-center justify-center gap-2 p-6 text-center"
            >
              <h1 className="text-lg font-semibold">{t("conv.notFound")}</h1>
              <p className="text-sm text-muted-foreground">{t("conv.notFoundHint")}</p>
              <a className="text-sm text-primary underline" href="/inbox">
                {t("conv.backToInbox")}
              </a>
            </div>
          ) : view ? (
            <Conversation
              view={view}
              me={me}
              canned={props.canned}
              viewers={viewers[view.thread.id] ?? []}
              composerRef={composerRef}
              onViewChange={changeView}
              onRefresh={refreshView}
              onBack={() => {
                setSelectedId(null);
                setView(null);
                window.history.pushState(null, "", "/inbox");
              }}
              onShowDetails={() => setDetailsOpen(true)}
            />
          ) : selectedId ? (
            <p className="p-6 text-sm text-muted-foreground">{t("list.loading")}</p>
          ) : (
            <div className="flex h-full flex-col items-center justify-center gap-1 text-center">
              <p className="font-medium">{t("conv.empty")}</p>
              <p className="text-sm text-muted-foreground">{t("conv.emptyHint")}</p>
            </div>
          )}
        </main>
        {view && (
          <aside
            aria-label={t("details.label")}
            className="hidden min-h-0 w-80 shrink-0 overflow-y-auto border-l xl:block"
          >
            {details}
          </aside>
        )}
      </div>
      <Sheet open={detailsOpen && Boolean(view)} onOpenChange={setDetailsOpen}>
        <SheetContent side="right" className="overflow-y-auto xl:hidden" aria-describedby={undefined}>
          <SheetTitle className="px-4 pt-4">{t("details.label")}</SheetTitle>
          {details}
        </SheetContent>
      </Sheet>
    </div>
  );
}
