"use client";

import { ArrowLeftIcon, FileTextIcon, SearchIcon, SendIcon, XIcon } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import type { PricingModel } from "@/lib/domain";
import type { ComposerInput } from "@/lib/services/inbox-send";
import type { PickerTemplate, WindowsJson } from "@/lib/services/inbox-view";
import { pickerPrice } from "@/lib/ui-format/picker-price";
import { cn } from "@/lib/utils";
import {
  renderTemplate,
  type StoredTemplateComponent,
  templateVariables,
} from "@/lib/whatsapp/template-params";
import { useI18n } from "./i18n-context";
import { useNow } from "./use-now";

const CATEGORY_ORDER = ["UTILITY", "MARKETING", "AUTHENTICATION"];

type Props = {
  templates: PickerTemplate[];
  windows: WindowsJson;
  cswExpiresAt: string | null;
  fepExpiresAt: string | null;
  pricing: { model: PricingModel; currency: string };
  /** Shown because the window is closed (the picker replaces the composer) rather than opened by choice. */
  locked: boolean;
  onSend: (input: ComposerInput) => Promise<boolean>;
  onClose?: () => void;
};

/**
 * The template picker: APPROVED templates of the thread's inbox, searchable,
 * grouped by category, each with what sending it now costs; then a field per
 * variable and a live preview of the exact message the customer will get.
 */
export function TemplatePicker({
  templates,
  windows,
  cswExpiresAt,
  fepExpiresAt,
  pricing,
  locked,
  onSend,
  onClose,
}: Props) {
  const { t, locale, timeZone } = useI18n();
  const now = useNow();
  const [q, setQ] = useState("");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const formId = useId();

  const selected = templates.find((x) => x.id === selectedId) ?? null;

  useEffect(() => {
    if (!selected) searchRef.current?.focus({ preventScroll: true });
  }, [selected]);

  // Esc: back from a template to the list; from the list, close (when opened by choice).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      if (selectedId) {
        e.preventDefault();
        setSelectedId(null);
      } else if (onClose) {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [selectedId, onClose]);

  const priceOf = (tpl: PickerTemplate) =>
    pickerPrice(
      {
        category: tpl.category,
        model: pricing.model,
        priceMicros: tpl.priceMicros,
        currency: pricing.currency,
        fepExpiresAt,
        cswExpiresAt,
        openConversations: windows.conversations,
        now: new Date(now),
        locale,
        timeZone,
      },
      t,
    );

  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const match = (tpl: PickerTemplate) => {
      if (!needle) return true;
      const body = (tpl.components as StoredTemplateComponent[]).map((c) => c.text ?? "").join(" ");
      return `${tpl.name} ${tpl.category} ${tpl.language} ${body}`.toLowerCase().includes(needle);
    };
    const byCat = new Map<string, PickerTemplate[]>();
    for (const tpl of templates.filter(match)) {
      const key = tpl.category.toUpperCase();
      byCat.set(key, [...(byCat.get(key) ?? []), tpl]);
    }
    const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : 99);
    return [...byCat.entries()].sort(([a], [b]) => rank(a) - rank(b));
  }, [templates, q]);

  const components = (selected?.components ?? []) as StoredTemplateComponent[];
  const vars = useMemo(() => templateVariables(components), [components]);
  const fields = [
    ...vars.header.map((n) => ({ key: `h:${n}`, label: t("picker.headerVariable", { name: `{{${n}}}` }) })),
    ...vars.body.map((n) => ({ key: `b:${n}`, label: t("picker.variable", { name: `{{${n}}}` }) })),
    ...vars.buttons.map((b) => ({
      key: `u:${b.index}`,
      label: t("picker.buttonVariable", { n: b.index + 1 }),
    })),
    ...(vars.headerMedia
      ? [{ key: "m:link", label: t("picker.headerMedia", { kind: vars.headerMedia }) }]
      : []),
  ];
  const complete = fields.every((f) => (values[f.key] ?? "").trim() !== "");
  const preview = useMemo(() => {
    const pick = (prefix: string, names: string[]) =>
      new Map(
        names.flatMap((n) =>
          values[`${prefix}${n}`]?.trim() ? [[n, values[`${prefix}${n}`]] as [string, string]] : [],
        ),
      );
    return renderTemplate(components, {
      header: pick("h:", vars.header),
      body: pick("b:", vars.body),
      buttonValues: new Map(
        vars.buttons.flatMap((b) =>
          values[`u:${b.index}`] ? [[b.index, values[`u:${b.index}`]] as [number, string]] : [],
        ),
      ),
    });
  }, [components, vars, values]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!selected || !complete || sending) return;
    const named = vars.named;
    const toParams = (prefix: string, names: string[]) =>
      named
        ? Object.fromEntries(names.map((n) => [n, values[`${prefix}${n}`] ?? ""]))
        : names.map((n) => values[`${prefix}${n}`] ?? "");
    const input: ComposerInput = {
      type: "template",
      templateId: selected.id,
      ...(vars.body.length ? { params: toParams("b:", vars.body) } : {}),
      ...(vars.header.length ? { headerParams: toParams("h:", vars.header) } : {}),
      ...(vars.buttons.length ? { buttonParams: vars.buttons.map((b) => values[`u:${b.index}`] ?? "") } : {}),
      ...(vars.headerMedia ? { headerMedia: { kind: vars.headerMedia, link: values["m:link"] ?? "" } } : {}),
    };
    setSending(true);
    const ok = await onSend(input);
    setSending(false);
    if (ok) {
      setSelectedId(null);
      setValues({});
      if (!locked) onClose?.();
    }
  }

  return (
    <section
      aria-label={t("picker.title")}
      className="flex max-h-[55vh] min-h-0 flex-col gap-2 border-t bg-card p-3"
    >
      <div className="flex items-center gap-2">
        {selected ? (
          <Button
            variant="ghost"
            size="icon-sm"
            onClick={() => setSelectedId(null)}
            aria-label={t("picker.back")}
          >
            <ArrowLeftIcon />
          </Button>
        ) : (
          <FileTextIcon className="size-4 text-muted-foreground" />
        )}
        <h2 className="text-sm font-semibold">{selected ? selected.name : t("picker.title")}</h2>
        {onClose && (
          <Button
            variant="ghost"
            size="icon-sm"
            className="ml-auto"
            onClick={onClose}
            aria-label={t("picker.close")}
          >
            <XIcon />
          </Button>
        )}
      </div>

      {!selected && (
        <>
          <div className="relative">
            <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" />
            <Input
              ref={searchRef}
              value={q}
              onChange={(e) => setQ(e.target.value)}
              aria-label={t("picker.search")}
              placeholder={t("picker.search")}
              className="pl-8"
            />
          </div>
          <div className="min-h-0 flex-1 overflow-y-auto">
            {templates.length === 0 && (
              <p className="p-2 text-sm text-muted-foreground">{t("picker.noneAtAll")}</p>
            )}
            {templates.length > 0 && groups.length === 0 && (
              <p className="p-2 text-sm text-muted-foreground">{t("picker.none")}</p>
            )}
            {groups.map(([cat, list]) => (
              <section key={cat} aria-label={t(`category.${cat}` as never)} className="mb-2">
                <h3 className="px-1 py-1 text-xs font-semibold tracking-wide text-muted-foreground uppercase">
                  {t(`category.${cat}` as never)}
                </h3>
                <ul className="flex flex-col gap-1">
                  {list.map((tpl) => {
                    const price = priceOf(tpl);
                    const body = (tpl.components as StoredTemplateComponent[]).find(
                      (c) => c.type?.toUpperCase() === "BODY",
                    )?.text;
                    return (
                      <li key={tpl.id}>
                        <button
                          type="button"
                          onClick={() => {
                            setSelectedId(tpl.id);
                            setValues({});
                          }}
                          className="flex w-full flex-col items-start gap-0.5 rounded-md border px-3 py-2 text-left text-sm hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
                        >
                          <span className="flex w-full items-center gap-2">
                            <span className="font-medium">{tpl.name}</span>
                            <Badge variant="muted">{tpl.language}</Badge>
                          </span>
                          <span className="line-clamp-1 text-xs text-muted-foreground">{body}</span>
                          <span
                            data-price-kind={price.kind}
                            className={cn("text-xs", price.micros > 0 ? "text-warning" : "text-success")}
                          >
                            {price.text}
                          </span>
                        </button>
                      </li>
                    );
                  })}
                </ul>
              </section>
            ))}
          </div>
        </>
      )}

      {selected && (
        <form id={formId} onSubmit={submit} className="flex min-h-0 flex-1 flex-col gap-3 overflow-y-auto">
          <p data-price-kind={priceOf(selected).kind} className="text-xs text-muted-foreground">
            {priceOf(selected).text}
          </p>
          {fields.length > 0 && (
            <fieldset className="grid gap-2 sm:grid-cols-2">
              <legend className="sr-only">{t("picker.variables")}</legend>
              {fields.map((f, i) => (
                <div key={f.key} className="flex flex-col gap-1">
                  <Label htmlFor={`${formId}-${f.key}`} className="text-xs">
                    {f.label}
                  </Label>
                  <Input
                    id={`${formId}-${f.key}`}
                    value={values[f.key] ?? ""}
                    autoFocus={i === 0}
                    onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
                  />
                </div>
              ))}
            </fieldset>
          )}
          <div>
            <h3 className="mb-1 text-xs font-semibold text-muted-foreground">{t("picker.preview")}</h3>
            <figure aria-label={t("picker.preview")} className="rounded-lg bg-bubble-out px-3 py-2 text-sm">
              {preview.header && <p className="font-semibold">{preview.header}</p>}
              <p className="whitespace-pre-wrap">{preview.body}</p>
              {preview.footer && <p className="mt-1 text-xs text-muted-foreground">{preview.footer}</p>}
              {preview.buttons.length > 0 && (
                <div className="mt-2 flex flex-wrap gap-1">
                  {preview.buttons.map((b, i) => (
                    <span key={i} className="rounded border bg-background px-2 py-0.5 text-xs">
                      {b.text}
                    </span>
                  ))}
                </div>
              )}
            </figure>
          </div>
          <div className="flex items-center justify-end gap-2">
            {!complete && <span className="text-xs text-muted-foreground">{t("picker.fillAll")}</span>}
            <Button type="submit" disabled={!complete || sending}>
              <SendIcon />
              {sending ? t("picker.sending") : t("picker.send")}
            </Button>
          </div>
        </form>
      )}
    </section>
  );
}
