"use client";

import { Loader2Icon, MessageSquarePlusIcon, SendIcon, UserIcon } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { formatMoney } from "@/components/costs/money";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { toast } from "@/components/ui/toast";
import { normalizePhone } from "@/lib/phone";
import type { ContactOption, StartEffect, StartPreview } from "@/lib/services/conversations-start";
import type { PickerTemplate } from "@/lib/services/templates";
import { renderTemplate } from "@/lib/whatsapp/template-params";
import { useI18n } from "./i18n-context";
import {
  previewStartAction,
  searchStartContactsAction,
  startConversationAction,
  startTemplatesAction,
} from "./new-conversation-actions";

type Props = {
  inboxes: Array<{ id: string; name: string }>;
  /** Opens a thread in the inbox (the existing one, or the one just started). */
  onOpenThread: (threadId: string) => void;
};

const selectClass =
  "h-9 w-full rounded-md border border-input bg-transparent px-3 text-sm shadow-xs outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50";

/** "Opens a utility conversation — US$0.0080", and the other effects the engine can predict. */
export function effectSentence(e: StartEffect, fmtTime: (iso: string) => string, currency = "USD"): string {
  switch (e.kind) {
    case "opens":
      return `Opens a ${e.category} conversation — ${formatMoney(e.costMicros, currency)}`;
    case "inside_open":
      return `No new charge: a ${e.category} conversation with this contact is open until ${fmtTime(e.openUntil)}`;
    case "free_entry_point":
      return `Free: free entry point window open${e.until ? ` until ${fmtTime(e.until)}` : ""}`;
    case "charged_message":
      return `A billable ${e.category} message — ${formatMoney(e.costMicros, currency)}`;
    case "free_customer_service":
      return "Free: a utility template inside the customer service window";
  }
}

/**
 * "New conversation": pick the inbox, type an international number (normalised as you type, with
 * a clear error) or choose a contact, pick an approved template, fill its variables with a live
 * preview, see what the engine says sending will cost, and send.
 */
export function NewConversationDialog({ inboxes, onOpenThread }: Props) {
  const { locale, timeZone } = useI18n();
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [inboxId, setInboxId] = useState(inboxes[0]?.id ?? "");
  const [to, setTo] = useState("");
  const [contact, setContact] = useState<ContactOption | null>(null);
  const [matches, setMatches] = useState<ContactOption[]>([]);
  const [templates, setTemplates] = useState<PickerTemplate[] | null>(null);
  const [templateId, setTemplateId] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<StartPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const clientId = useRef<string>("");

  const template = templates?.find((t) => t.id === templateId);
  // Something starting with + or a digit is a number (validated as typed); anything else searches contacts.
  const typedDigits = /^[+\d(]/.test(to.trim());
  const phone = contact || !typedDigits ? null : normalizePhone(to);
  const target = contact ? { contactId: contact.id } : phone?.ok ? { phone: phone.waId } : null;

  const fmtTime = useMemo(() => {
    const f = new Intl.DateTimeFormat(locale, {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      day: "numeric",
      month: "short",
    });
    return (iso: string) => f.format(new Date(iso));
  }, [locale, timeZone]);

  function reset() {
    setTo("");
    setContact(null);
    setMatches([]);
    setTemplateId("");
    setValues({});
    setPreview(null);
    setPreviewError(null);
    setSendError(null);
    clientId.current = crypto.randomUUID();
  }

  // Templates of the chosen inbox.
  useEffect(() => {
    if (!open || !inboxId) return;
    let live = true;
    setTemplates(null);
    void startTemplatesAction(inboxId).then((r) => {
      if (!live) return;
      if (r.ok) setTemplates(r.data);
      else setPreviewError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [open, inboxId]);

  // Contacts matching a name (or part of a number) as the agent types.
  useEffect(() => {
    if (contact || to.trim().length < 2) {
      setMatches([]);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      void searchStartContactsAction(to).then((r) => {
        if (live && r.ok) setMatches(r.data);
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [to, contact]);

  // The engine's verdict for this inbox, customer and template.
  const targetKey = target ? JSON.stringify(target) : "";
  useEffect(() => {
    setPreview(null);
    setPreviewError(null);
    if (!open || !inboxId || !targetKey) return;
    let live = true;
    const t = setTimeout(() => {
      void previewStartAction({
        inboxId,
        ...JSON.parse(targetKey),
        templateId: templateId || undefined,
      }).then((r) => {
        if (!live) return;
        if (r.ok) setPreview(r.data);
        else setPreviewError(r.error.message);
      });
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [open, inboxId, targetKey, templateId]);

  const slots = useMemo(() => {
    if (!template) return [];
    const v = template.variables;
    return [
      ...v.header.map((n) => ({ key: `header:${n}`, label: `Header {{${n}}}` })),
      ...v.body.map((n) => ({ key: `body:${n}`, label: `{{${n}}}` })),
      ...v.buttons.map((b) => ({ key: `button:${b.index}`, label: `Button ${b.index + 1} link` })),
    ];
  }, [template]);

  const rendered = useMemo(() => {
    if (!template) return null;
    const v = template.variables;
    const val = (k: string, n: string) => values[k]?.trim() || `{{${n}}}`;
    return renderTemplate(template.components, {
      header: new Map(v.header.map((n) => [n, val(`header:${n}`, n)])),
      body: new Map(v.body.map((n) => [n, val(`body:${n}`, n)])),
      buttonValues: new Map(v.buttons.map((b) => [b.index, val(`button:${b.index}`, String(b.index))])),
    });
  }, [template, values]);

  const missing = slots.filter((s) => !values[s.key]?.trim());
  const canSend =
    Boolean(target && template && preview && !preview.blocked) && missing.length === 0 && !sending;

  async function send() {
    if (!template || !target) return;
    setSending(true);
    setSendError(null);
    const v = template.variables;
    const pick = (prefix: string, names: string[]) =>
      Object.fromEntries(names.map((n) => [n, values[`${prefix}:${n}`]?.trim() ?? ""]));
    const r = await startConversationAction({
      inboxId,
      ...target,
      templateId: template.id,
      params: v.body.length ? pick("body", v.body) : undefined,
      headerParams: v.header.length ? pick("header", v.header) : undefined,
      buttonParams: v.buttons.length
        ? pick(
            "button",
            v.buttons.map((b) => String(b.index)),
          )
        : undefined,
      clientId: clientId.current,
    });
    setSending(false);
    if (!r.ok) {
      setSendError(r.error.message);
      return;
    }
    toast.success("Template sent: the conversation is in your inbox.");
    setOpen(false);
    reset();
    onOpenThread(r.data.threadId);
  }

  const cswOpen = preview?.thread && preview.csw.open;

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (o) reset();
      }}
    >
      <DialogTrigger asChild>
        <Button size="sm" className="w-full">
          <MessageSquarePlusIcon /> New conversation
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>New conversation</DialogTitle>
          <DialogDescription>
            Start a conversation with an approved template. You will see what it costs before sending.
          </DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (canSend) void send();
          }}
        >
          {inboxes.length > 1 && (
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-inbox`}>From inbox</Label>
              <select
                id={`${ids}-inbox`}
                className={selectClass}
                value={inboxId}
                onChange={(e) => {
                  setInboxId(e.target.value);
                  setTemplateId("");
                  setValues({});
                }}
              >
                {inboxes.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.name}
                  </option>
                ))}
              </select>
            </div>
          )}

          <div className="grid gap-1.5">
            <Label htmlFor={`${ids}-to`}>To</Label>
            {contact ? (
              <div className="flex items-center gap-2 rounded-md border px-3 py-1.5 text-sm">
                <UserIcon className="size-4 text-muted-foreground" />
                <span className="font-medium">{contact.profileName ?? `+${contact.waId}`}</span>
                <span className="text-muted-foreground">+{contact.waId}</span>
                <Button
                  type="button"
                  variant="ghost"
                  size="sm"
                  className="ml-auto"
                  onClick={() => setContact(null)}
                >
                  Change
                </Button>
              </div>
            ) : (
              <Input
                id={`${ids}-to`}
                value={to}
                onChange={(e) => setTo(e.target.value)}
                placeholder="+55 11 98765 4321, or a contact's name"
                autoComplete="off"
                aria-invalid={phone !== null && !phone.ok}
                aria-describedby={`${ids}-to-help`}
              />
            )}
            <p id={`${ids}-to-help`} className="text-xs" aria-live="polite">
              {phone && !phone.ok && <span className="text-destructive">{phone.message}</span>}
              {phone?.ok && <span className="text-muted-foreground">WhatsApp number +{phone.waId}</span>}
              {!phone && !contact && to.trim().length >= 2 && matches.length === 0 && (
                <span className="text-muted-foreground">
                  No contact matches “{to.trim()}”. For a new customer, type the number with its country code.
                </span>
              )}
              {!phone && !contact && to.trim().length < 2 && (
                <span className="text-muted-foreground">International format, with the country code.</span>
              )}
            </p>
            {!contact && matches.length > 0 && (
              <ul
                aria-label="Matching contacts"
                className="max-h-40 overflow-y-auto rounded-md border text-sm"
              >
                {matches.map((m) => (
                  <li key={m.id}>
                    <button
                      type="button"
                      className="flex w-full items-center gap-2 px-3 py-1.5 text-left hover:bg-accent"
                      onClick={() => {
                        setContact(m);
                        setMatches([]);
                      }}
                    >
                      <span className="font-medium">{m.profileName ?? "Unnamed"}</span>
                      <span className="text-muted-foreground">+{m.waId}</span>
                      {m.optedOutMarketing && <Badge variant="warning">opted out of marketing</Badge>}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>

          {preview?.thread && (
            <div className="grid gap-2 rounded-md border bg-muted/40 p-3 text-sm" role="status">
              {cswOpen ? (
                <p>
                  This customer wrote in the last 24 hours: their customer service window is open until{" "}
                  {fmtTime(preview.csw.expiresAt!)}, so you can reply with free text in the existing
                  conversation.
                </p>
              ) : (
                <p>
                  There already is a conversation with this customer in this inbox
                  {preview.thread.assigneeName ? `, assigned to ${preview.thread.assigneeName}` : ""}. The
                  template will be added to it.
                </p>
              )}
              <Button
                type="button"
                variant={cswOpen ? "default" : "outline"}
                size="sm"
                className="w-fit"
                onClick={() => {
                  setOpen(false);
                  onOpenThread(preview.thread!.id);
                }}
              >
                Go to the conversation
              </Button>
            </div>
          )}

          <div className="grid gap-1.5">
            <Label htmlFor={`${ids}-template`}>Template</Label>
            <select
              id={`${ids}-template`}
              className={selectClass}
              value={templateId}
              disabled={!templates}
              onChange={(e) => {
                setTemplateId(e.target.value);
                setValues({});
              }}
            >
              <option value="">{templates ? "Choose an approved template…" : "Loading templates…"}</option>
              {templates?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} · {t.language} · {t.category}
                </option>
              ))}
            </select>
            {templates?.length === 0 && (
              <p className="text-xs text-muted-foreground">
                This inbox has no approved templates you may send.
              </p>
            )}
          </div>

          {slots.length > 0 && (
            <div className="grid gap-2 sm:grid-cols-2">
              {slots.map((s) => (
                <div key={s.key} className="grid gap-1">
                  <Label htmlFor={`${ids}-${s.key}`}>{s.label}</Label>
                  <Input
                    id={`${ids}-${s.key}`}
                    value={values[s.key] ?? ""}
                    onChange={(e) => setValues({ ...values, [s.key]: e.target.value })}
                  />
                </div>
              ))}
            </div>
          )}

          {rendered && (
            <section aria-label="Message preview" className="grid gap-1 rounded-md bg-success/10 p-3 text-sm">
              {rendered.header && <p className="font-semibold">{rendered.header}</p>}
              <p className="whitespace-pre-wrap">{rendered.body}</p>
              {rendered.footer && <p className="text-xs text-muted-foreground">{rendered.footer}</p>}
              {rendered.buttons.length > 0 && (
                <p className="text-xs text-muted-foreground">
                  {rendered.buttons.map((b) => `[${b.text}]`).join(" ")}
                </p>
              )}
            </section>
          )}

          {preview?.effect && (
            <p
              data-testid="start-effect"
              className={`rounded-md border p-2 text-sm ${preview.effect.costMicros > 0 ? "" : "border-success/40 text-success"}`}
            >
              {effectSentence(preview.effect, fmtTime, preview.currency)}
            </p>
          )}
          {preview?.blocked && (
            <p role="alert" className="text-sm text-destructive">
              {preview.blocked.message}
            </p>
          )}
          {(previewError || sendError) && (
            <p role="alert" className="text-sm text-destructive">
              {sendError ?? previewError}
            </p>
          )}

          <DialogFooter>
            <Button type="submit" disabled={!canSend}>
              {sending ? <Loader2Icon className="animate-spin" /> : <SendIcon />} Send template
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
