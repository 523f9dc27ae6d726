"use client";

import { FileTextIcon, PaperclipIcon, SendHorizontalIcon, StickyNoteIcon, XIcon } from "lucide-react";
import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import type { CannedResponse } from "@/lib/services/canned-responses";
import type { ComposerInput } from "@/lib/services/inbox-send";
import { cn } from "@/lib/utils";
import { useI18n } from "./i18n-context";

type Attachment = {
  mediaPath: string;
  mediaKind: "image" | "document" | "audio" | "video";
  mime: string;
  filename: string;
};

export type ComposerHandle = { focus: () => void };

type Props = {
  threadId: string;
  /** False once the CSW is closed: free text locks (notes stay possible). */
  freeTextAllowed: boolean;
  canned: CannedResponse[];
  onSend: (input: ComposerInput) => Promise<boolean>;
  onTyping: (typing: boolean) => void;
  onOpenPicker: () => void;
};

/**
 * The free-text composer: Enter sends, Shift+Enter adds a line, `/` at the
 * start of a word opens canned responses, a paperclip attaches a file, and a
 * Note toggle writes a private note instead of a WhatsApp message.
 */
export const Composer = forwardRef<ComposerHandle, Props>(function Composer(
  { threadId, freeTextAllowed, canned, onSend, onTyping, onOpenPicker },
  ref,
) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const [attachment, setAttachment] = useState<Attachment | null>(null);
  const [uploading, setUploading] = useState(false);
  const [sending, setSending] = useState(false);
  const [cannedIndex, setCannedIndex] = useState(0);
  const [cannedDismissed, setCannedDismissed] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const typingSent = useRef(0);

  useImperativeHandle(ref, () => ({ focus: () => area.current?.focus() }), []);

  // A new thread starts with an empty composer (drafts are per thread in spirit, not kept yet).
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the thread changes
  useEffect(() => {
    setText("");
    setAttachment(null);
    setNote(false);
  }, [threadId]);

  const locked = !freeTextAllowed && !note;

  // `/word` being typed at the caret → canned response suggestions.
  const slash = useMemo(() => {
    const el = area.current;
    const caret = el?.selectionStart ?? text.length;
    const before = text.slice(0, caret);
    const m = /(^|\s)\/([\w-]*)$/.exec(before);
    return m ? { query: m[2].toLowerCase(), start: caret - m[2].length - 1, end: caret } : null;
  }, [text]);
  const suggestions = useMemo(
    () =>
      slash && !cannedDismissed
        ? canned
            .filter((c) => c.shortcut.startsWith(slash.query) || c.body.toLowerCase().includes(slash.query))
            .slice(0, 8)
        : [],
    [slash, canned, cannedDismissed],
  );
  const showCanned = Boolean(slash) && !cannedDismissed;

  function insertCanned(c: CannedResponse) {
    if (!slash) return;
    const next = text.slice(0, slash.start) + c.body + text.slice(slash.end);
    setText(next);
    setCannedIndex(0);
    requestAnimationFrame(() => {
      const pos = slash.start + c.body.length;
      area.current?.setSelectionRange(pos, pos);
      area.current?.focus();
    });
  }

  function typing(active: boolean) {
    if (typingTimer.current) clearTimeout(typingTimer.current);
    if (!active) {
      if (typingSent.current) onTyping(false);
      typingSent.current = 0;
      return;
    }
    // Tell others at most every 2 s, and that we stopped after 3 s of quiet.
    if (Date.now() - typingSent.current > 2_000) {
      typingSent.current = Date.now();
      onTyping(true);
    }
    typingTimer.current = setTimeout(() => typing(false), 3_000);
  }

  async function upload(file: File) {
    setUploading(true);
    try {
      const body = new FormData();
      body.set("file", file);
      const res = await fetch("/api/inbox/uploads", { method: "POST", body });
      const json = await res.json();
      if (!res.ok) {
        toast.error(json.message ?? t("errors.generic"));
        return;
      }
      setAttachment(json as Attachment);
    } catch {
      toast.error(t("errors.generic"));
    } finally {
      setUploading(false);
    }
  }

  async function submit() {
    if (sending) return;
    const body = text.trim();
    let input: ComposerInput | null = null;
    if (note) input = body ? { type: "note", text: body } : null;
    else if (attachment) {
      input = {
        type: "media",
        mediaKind: attachment.mediaKind,
        mediaPath: attachment.mediaPath,
        mime: attachment.mime,
        filename: attachment.filename,
        ...(body && attachment.mediaKind !== "audio" ? { caption: body } : {}),
      };
    } else if (body) input = { type: "text", text: body };
    if (!input) return;
    setSending(true);
    typing(false);
    const ok = await onSend(input);
    setSending(false);
    if (ok) {
      setText("");
      setAttachment(null);
      area.current?.focus();
    }
  }

  function onKeyDown(e: React.KeyboardEvent<HTMLTextAreaElement>) {
    if (showCanned && suggestions.length > 0) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const d = e.key === "ArrowDown" ? 1 : -1;
        setCannedIndex((i) => (i + d + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        insertCanned(suggestions[Math.min(cannedIndex, suggestions.length - 1)]);
        return;
      }
    }
    if (showCanned && e.key === "Escape") {
      e.preventDefault();
      setCannedDismissed(true);
      return;
    }
    // Enter sends; Shift+Enter (and IME composition) inserts a new line.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  return (
    <div className={cn("relative bg-card px-3 pb-3", locked ? "pt-0" : "border-t pt-3")}>
      {showCanned && (
        <div
          role="listbox"
          aria-label={t("composer.canned")}
          className="absolute right-3 bottom-full left-3 z-10 mb-1 max-h-64 overflow-y-auto rounded-md border bg-popover p-1 shadow-md"
        >
          {suggestions.length === 0 && (
            <p className="px-2 py-1.5 text-sm text-muted-foreground">{t("composer.noCanned")}</p>
          )}
          {suggestions.map((c, i) => (
            <div
              key={c.id}
              role="option"
              tabIndex={-1}
              aria-selected={i === cannedIndex}
              onMouseDown={(e) => {
                e.preventDefault();
                insertCanned(c);
              }}
              className={cn(
                "cursor-pointer rounded-sm px-2 py-1.5 text-sm",
                i === cannedIndex ? "bg-accent text-accent-foreground" : "hover:bg-accent",
              )}
            >
              <span className="font-mono text-xs text-muted-foreground">/{c.shortcut}</span>
              <span className="ml-2 line-clamp-1">{c.body}</span>
            </div>
          ))}
        </div>
      )}
      {locked ? null : (
        <>
          {attachment && !note && (
            <div className="mb-2 flex items-center gap-2 text-xs">
              <FileTextIcon className="size-4" />
              <span>{t("composer.attached", { name: attachment.filename })}</span>
              <Button
                variant="ghost"
                size="icon-sm"
                aria-label={t("composer.removeAttachment")}
                onClick={() => setAttachment(null)}
              >
                <XIcon />
              </Button>
            </div>
          )}
          <Textarea
            ref={area}
            value={text}
            aria-label={note ? t("conv.note") : t("composer.label")}
            placeholder={
              note
                ? t("composer.notePlaceholder")
                : attachment
                  ? t("composer.caption")
                  : t("composer.placeholder")
            }
            rows={2}
            className={cn(
              "max-h-48 resize-none",
              note && "border-note-foreground/40 bg-note text-note-foreground",
            )}
            onChange={(e) => {
              setText(e.target.value);
              setCannedDismissed(false);
              setCannedIndex(0);
              if (!note) typing(true);
            }}
            onBlur={() => typing(false)}
            onKeyDown={onKeyDown}
          />
        </>
      )}
      <div className={cn("flex items-center gap-1", !locked && "mt-2")}>
        <Button
          variant={note ? "secondary" : "ghost"}
          size="sm"
          aria-pressed={note}
          onClick={() => setNote((v) => !v)}
          title={t("composer.notePlaceholder")}
        >
          <StickyNoteIcon />
          {t("composer.noteMode")}
        </Button>
        {!locked && !note && (
          <>
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={t("composer.attach")}
              disabled={uploading}
              onClick={() => fileInput.current?.click()}
            >
              <PaperclipIcon />
            </Button>
            <input
              ref={fileInput}
              type="file"
              className="hidden"
              aria-hidden
              tabIndex={-1}
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void upload(f);
                e.target.value = "";
              }}
            />
          </>
        )}
        {uploading && <span className="text-xs text-muted-foreground">{t("composer.uploading")}</span>}
        {freeTextAllowed && (
          <Button variant="ghost" size="sm" onClick={onOpenPicker}>
            <FileTextIcon />
            {t("picker.open")}
          </Button>
        )}
        {!locked && (
          <Button className="ml-auto" size="sm" onClick={() => void submit()} disabled={sending || uploading}>
            <SendHorizontalIcon />
            {note ? t("composer.sendNote") : t("composer.send")}
          </Button>
        )}
      </div>
    </div>
  );
});
