"use client";

import { ArrowLeftIcon, EyeIcon, LockIcon, PanelRightIcon } from "lucide-react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { sendMessageAction } from "@/app/(inbox)/inbox/actions";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { getSocket, useConnection, useSocketEvent } from "@/lib/realtime/client";
import type { CannedResponse } from "@/lib/services/canned-responses";
import type { ComposerInput } from "@/lib/services/inbox-send";
import type { ThreadView } from "@/lib/services/inbox-view";
import type { MessageView } from "@/lib/services/threads";
import { cswOpenAt } from "@/lib/ui-format/countdown";
import { localDay } from "@/lib/ui-format/money";
import { Composer, type ComposerHandle } from "./composer";
import { useI18n } from "./i18n-context";
import { MessageItem } from "./message-item";
import { TemplatePicker } from "./template-picker";
import { nowMs, nudgeClockTo, tickNow, useNow } from "./use-now";
import { WindowLabel } from "./window-label";

type Viewer = { userId: string; name: string; typing: boolean };

type Props = {
  view: ThreadView;
  me: { id: string; name: string; role: string };
  canned: CannedResponse[];
  viewers: Viewer[];
  composerRef: React.RefObject<ComposerHandle | null>;
  onViewChange: (updater: (v: ThreadView) => ThreadView) => void;
  onRefresh: () => Promise<void>;
  onBack: () => void;
  onShowDetails: () => void;
};

function upsertMessage(list: MessageView[], m: MessageView): MessageView[] {
  const i = list.findIndex((x) => x.id === m.id || (m.clientId && x.clientId === m.clientId));
  if (i >= 0) {
    const next = list.slice();
    next[i] = m;
    return next;
  }
  const next = [...list, m];
  // Keep chronological order even when events arrive out of order.
  next.sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at < b.at ? -1 : 1));
  return next;
}

/** The conversation pane: messages with day separators, then the composer — or the template picker once the window is closed. */
export function Conversation({
  view,
  me,
  canned,
  viewers,
  composerRef,
  onViewChange,
  onRefresh,
  onBack,
  onShowDetails,
}: Props) {
  const { t, locale, timeZone } = useI18n();
  const now = useNow();
  const { thread } = view;
  const threadId = thread.id;
  const [pickerOpen, setPickerOpen] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const prevHeight = useRef<number | null>(null);
  const { reconnects } = useConnection();

  const cswExpiresAt = thread.cswExpiresAt;
  const freeTextAllowed = cswOpenAt(cswExpiresAt, now);

  // Flip at the exact instant the window closes, not on the next one-second tick.
  useEffect(() => {
    if (!cswExpiresAt) return;
    const ms = Date.parse(cswExpiresAt) - nowMs();
    if (ms <= 0 || ms > 2 ** 31 - 1) return;
    const timer = setTimeout(tickNow, ms + 1);
    return () => clearTimeout(timer);
  }, [cswExpiresAt]);

  // Join the thread's room (presence "is viewing"), again after every reconnect.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reconnects is the re-join trigger
  useEffect(() => {
    const s = getSocket();
    s.emit("thread:join", threadId);
    return () => {
      s.emit("thread:leave", threadId);
    };
  }, [threadId, reconnects]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when another thread opens
  useEffect(() => {
    setPickerOpen(false);
    stickToBottom.current = true;
  }, [threadId]);

  const fetchMessage = useCallback(
    async (messageId: string) => {
      const res = await fetch(`/api/inbox/threads/${threadId}/messages/${messageId}`);
      if (!res.ok) return;
      const m = (await res.json()) as MessageView;
      onViewChange((v) => (v.thread.id === threadId ? { ...v, messages: upsertMessage(v.messages, m) } : v));
    },
    [threadId, onViewChange],
  );

  useSocketEvent("message:new", (e) => {
    if (e.threadId !== threadId) return;
    void fetchMessage(e.messageId);
  });
  useSocketEvent("message:status", (e) => {
    if (e.threadId !== threadId) return;
    void fetchMessage(e.messageId);
    // Deliveries open billing conversations: refresh the details.
    if (e.status === "delivered" || e.status === "failed") void onRefresh();
  });
  // A template approved, paused or hidden: the picker's list comes with the thread view.
  useSocketEvent("template:update", () => {
    void onRefresh();
  });
  useSocketEvent("thread:window", (e) => {
    if (e.threadId !== threadId) return;
    // The server's clock reached the expiry: trust it even if this tab's clock lags.
    if (e.expiresAt) nudgeClockTo(Date.parse(e.expiresAt));
    tickNow();
    void onRefresh();
  });

  // Scroll: stay pinned to the newest message unless the agent scrolled up; keep position when older ones load.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each change of the message list
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (prevHeight.current !== null) {
      el.scrollTop += el.scrollHeight - prevHeight.current;
      prevHeight.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [view.messages]);

  async function loadOlder() {
    if (!view.olderCursor || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const res = await fetch(
        `/api/inbox/threads/${threadId}/messages?before=${encodeURIComponent(view.olderCursor)}`,
      );
      if (!res.ok) return;
      const page = (await res.json()) as { messages: MessageView[]; olderCursor: string | null };
      prevHeight.current = scroller.current?.scrollHeight ?? null;
      onViewChange((v) =>
        v.thread.id === threadId
          ? {
              ...v,
              messages: [
                ...page.messages.filter((m) => !v.messages.some((x) => x.id === m.id)),
                ...v.messages,
              ],
              olderCursor: page.olderCursor,
            }
          : v,
      );
    } finally {
      setLoadingOlder(false);
    }
  }

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 120) void loadOlder();
  }

  const send = useCallback(
    async (input: ComposerInput): Promise<boolean> => {
      const clientId = crypto.randomUUID();
      stickToBottom.current = true;
      const result = await sendMessageAction(threadId, input, clientId);
      if (result.ok) {
        onViewChange((v) =>
          v.thread.id === threadId ? { ...v, messages: upsertMessage(v.messages, result.message) } : v,
        );
        if (input.type === "template") toast.success(t("picker.sent"));
        return true;
      }
      if (result.error.code === "window_closed") {
        // The server is the judge: trust it over this tab's clock and switch to the picker.
        toast.error(t("composer.windowClosedNow"));
        const closedAt = (result.error.details?.closedAt as string | null | undefined) ?? null;
        if (closedAt) nudgeClockTo(Date.parse(closedAt));
        onViewChange((v) => ({ ...v, thread: { ...v.thread, cswExpiresAt: closedAt } }));
        void onRefresh();
        return false;
      }
      toast.error(t("composer.failed", { reason: result.error.message }));
      return false;
    },
    [threadId, onViewChange, onRefresh, t],
  );

  const typing = useCallback(
    (active: boolean) => getSocket().emit("thread:typing", { threadId, typing: active }),
    [threadId],
  );

  const others = viewers.filter((v) => v.userId !== me.id);
  const typingNames = others.filter((v) => v.typing).map((v) => v.name);

  // Day labels only change at midnight: recompute per minute, not per second.
  const minute = Math.floor(now / 60_000);
  const items = useMemo(() => {
    const out: ({ kind: "day"; key: string; label: string } | { kind: "msg"; m: MessageView })[] = [];
    const today = localDay(new Date(minute * 60_000), timeZone);
    const yesterday = localDay(new Date(minute * 60_000 - 86400_000), timeZone);
    let last = "";
    for (const m of view.messages) {
      const day = localDay(m.at, timeZone);
      if (day !== last) {
        last = day;
        const label =
          day === today
            ? t("conv.today")
            : day === yesterday
              ? t("conv.yesterday")
              : new Intl.DateTimeFormat(locale, { dateStyle: "full", timeZone }).format(new Date(m.at));
        out.push({ kind: "day", key: `day-${day}`, label });
      }
      out.push({ kind: "msg", m });
    }
    return out;
  }, [view.messages, minute, timeZone, locale, t]);

  const neverWrote = !cswExpiresAt;
  const showPicker = !freeTextAllowed || pickerOpen;

  return (
    <section aria-label={thread.contactName ?? `+${thread.waId}`} className="flex h-full min-h-0 flex-col">
      <header className="flex items-center gap-2 border-b px-3 py-2">
        <Button
          variant="ghost"
          size="icon-sm"
          className="lg:hidden"
          onClick={onBack}
          aria-label={t("conv.list")}
        >
          <ArrowLeftIcon />
        </Button>
        <div className="min-w-0 flex-1">
          <h2 className="truncate font-semibold">{thread.contactName ?? `+${thread.waId}`}</h2>
          <p className="truncate text-xs text-muted-foreground">
            +{thread.waId} · {thread.inboxName}
          </p>
        </div>
        <WindowLabel cswExpiresAt={cswExpiresAt} fepExpiresAt={thread.fepExpiresAt} />
        <Button
          variant="ghost"
          size="icon-sm"
          className="xl:hidden"
          onClick={onShowDetails}
          aria-label={t("conv.details")}
        >
          <PanelRightIcon />
        </Button>
      </header>
      {(others.length > 0 || typingNames.length > 0) && (
        <div
          role="status"
          aria-live="polite"
          className="flex items-center gap-1.5 border-b bg-muted/50 px-3 py-1 text-xs text-muted-foreground"
        >
          <EyeIcon className="size-3.5" />
          {typingNames.length > 0
            ? t("conv.typing", { name: typingNames.join(", ") })
            : t(others.length > 1 ? "conv.viewingMany" : "conv.viewing", {
                names: others.map((o) => o.name).join(", "),
              })}
        </div>
      )}

      <div
        ref={scroller}
        onScroll={onScroll}
        className="min-h-0 flex-1 overflow-y-auto px-3 py-4"
        aria-label={t("conv.messages")}
        role="log"
      >
        {view.olderCursor ? (
          <div className="mb-3 flex justify-center">
            <Button variant="ghost" size="sm" onClick={() => void loadOlder()} disabled={loadingOlder}>
              {t("conv.loadOlder")}
            </Button>
          </div>
        ) : (
          <p className="mb-3 text-center text-xs text-muted-foreground">{t("conv.beginning")}</p>
        )}
        <ol className="flex flex-col gap-3">
          {items.map((it) =>
            it.kind === "day" ? (
              <li key={it.key} className="my-1 flex justify-center" aria-hidden={false}>
                <span className="rounded-full bg-muted px-3 py-0.5 text-xs text-muted-foreground">
                  {it.label}
                </span>
              </li>
            ) : (
              <MessageItem key={it.m.id} m={it.m} meName={me.name} />
            ),
          )}
        </ol>
      </div>

      {!freeTextAllowed && (
        <div role="status" className="flex items-start gap-2 border-t bg-muted/60 px-3 py-2 text-sm">
          <LockIcon className="mt-0.5 size-4 shrink-0 text-warning" />
          <div>
            <p className="font-medium">{neverWrote ? t("composer.lockedNever") : t("composer.locked")}</p>
            {!neverWrote && <p className="text-xs text-muted-foreground">{t("composer.lockedHint")}</p>}
          </div>
        </div>
      )}
      {showPicker && (
        <TemplatePicker
          key={threadId}
          templates={view.templates}
          windows={view.windows}
          cswExpiresAt={cswExpiresAt}
          fepExpiresAt={thread.fepExpiresAt}
          pricing={view.pricing}
          locked={!freeTextAllowed}
          onSend={send}
          onClose={freeTextAllowed ? () => setPickerOpen(false) : undefined}
        />
      )}
      {(!showPicker || !freeTextAllowed) && (
        <Composer
          ref={composerRef}
          threadId={threadId}
          freeTextAllowed={freeTextAllowed}
          canned={canned}
          onSend={send}
          onTyping={typing}
          onOpenPicker={() => setPickerOpen(true)}
        />
      )}
    </section>
  );
}
