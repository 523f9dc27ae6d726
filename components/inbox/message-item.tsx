"use client";

import { DownloadIcon, FileTextIcon, LockIcon, ReplyIcon } from "lucide-react";
import { memo } from "react";
import type { MessageView } from "@/lib/services/threads";
import { formatClock } from "@/lib/ui-format/money";
import { cn } from "@/lib/utils";
import { useI18n } from "./i18n-context";
import { MessageTicks } from "./message-ticks";

function MediaBlock({ m }: { m: MessageView }) {
  const { t } = useI18n();
  if (!m.media) return null;
  const name = m.media.filename ?? t("conv.document");
  switch (m.type) {
    case "image":
    case "sticker":
      return (
        <a href={m.media.url} target="_blank" rel="noreferrer" className="block">
          {/* biome-ignore lint/performance/noImgElement: served by our own authenticated media route */}
          <img
            src={m.media.url}
            alt={m.caption ?? t(m.type === "sticker" ? "conv.sticker" : "conv.image")}
            loading="lazy"
            className={cn("max-h-72 rounded-md object-contain", m.type === "sticker" ? "w-32" : "max-w-full")}
          />
        </a>
      );
    case "audio":
    case "voice":
      return (
        // biome-ignore lint/a11y/useMediaCaption: customer voice notes have no captions
        <audio
          controls
          preload="none"
          src={m.media.url}
          aria-label={t("conv.audio")}
          className="max-w-full"
        />
      );
    case "video":
      return (
        // biome-ignore lint/a11y/useMediaCaption: customer videos have no captions
        <video
          controls
          preload="none"
          src={m.media.url}
          aria-label={t("conv.video")}
          className="max-h-72 max-w-full rounded-md"
        />
      );
    default:
      return (
        <a
          href={m.media.url}
          download={m.media.filename ?? undefined}
          className="flex items-center gap-2 rounded-md border bg-background/60 px-3 py-2 text-sm hover:bg-accent"
          aria-label={t("conv.download", { name })}
        >
          <FileTextIcon className="size-4 shrink-0" />
          <span className="truncate">{name}</span>
          <DownloadIcon className="ml-auto size-4 shrink-0" />
        </a>
      );
  }
}

function templateHint(m: MessageView): string | null {
  if (!m.template) return null;
  return [m.template.name, m.template.category, m.template.language].filter(Boolean).join(" · ");
}

/** One message: bubble side by direction, private notes in their own colour, ticks on outbound. */
export const MessageItem = memo(function MessageItem({ m, meName }: { m: MessageView; meName: string }) {
  const { t, locale, timeZone } = useI18n();
  const time = formatClock(m.at, new Date(m.at), locale, timeZone);
  const isNote = m.type === "note" || m.status === "note";
  const outbound = m.direction === "outbound";
  const sender = outbound ? (m.senderName === meName ? t("conv.you") : (m.senderName ?? "API")) : null;
  const text = m.type === "unsupported" ? t("conv.unsupported") : m.media ? (m.caption ?? m.body) : m.body;
  return (
    <li
      data-message-id={m.id}
      data-direction={m.direction}
      data-type={m.type}
      className={cn("flex w-full", outbound ? "justify-end" : "justify-start")}
    >
      <article
        aria-label={isNote ? t("conv.note") : outbound ? (sender ?? "") : t("conv.customer")}
        className={cn(
          "relative max-w-[min(80%,36rem)] rounded-lg px-3 py-2 text-sm shadow-xs",
          isNote
            ? "border border-dashed border-note-foreground/40 bg-note text-note-foreground"
            : outbound
              ? "bg-bubble-out"
              : "bg-card border",
        )}
      >
        {isNote && (
          <div className="mb-1 flex items-center gap-1 text-xs font-medium">
            <LockIcon className="size-3" /> {t("conv.note")}
            {sender ? ` · ${sender}` : ""}
          </div>
        )}
        {m.template && (
          <div
            className="mb-1 text-xs font-medium text-muted-foreground"
            title={templateHint(m) ?? undefined}
          >
            {t("conv.template")} · {m.template.name}
          </div>
        )}
        {m.replyTo && (
          <div className="mb-1 flex gap-1 border-l-2 border-primary/60 pl-2 text-xs text-muted-foreground">
            <ReplyIcon className="mt-0.5 size-3 shrink-0" />
            <span className="line-clamp-2">
              <span className="sr-only">{t("conv.replyTo")}: </span>
              {m.replyTo.body ?? "…"}
            </span>
          </div>
        )}
        <MediaBlock m={m} />
        {!m.media && !text && m.type !== "text" && m.type !== "note" && (
          <p className="text-muted-foreground italic">[{m.type}]</p>
        )}
        {text && <p className="whitespace-pre-wrap break-words">{text}</p>}
        <div className="mt-1 flex items-center justify-end gap-1.5 text-[11px] text-muted-foreground">
          {outbound && !isNote && sender && <span>{sender}</span>}
          <time dateTime={m.at}>{time}</time>
          {outbound && !isNote && (
            <MessageTicks status={m.status} errorText={m.errorText} errorCode={m.errorCode} />
          )}
        </div>
        {m.reactions.length > 0 && (
          <ul
            aria-label={t("conv.reactions")}
            className={cn(
              "absolute -bottom-3 flex gap-0.5 rounded-full border bg-background px-1.5 text-sm shadow-xs",
              outbound ? "left-2" : "right-2",
            )}
          >
            {m.reactions.map((r) => (
              <li key={r.direction}>{r.emoji}</li>
            ))}
          </ul>
        )}
      </article>
    </li>
  );
});
