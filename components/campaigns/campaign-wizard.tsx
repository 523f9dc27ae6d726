"use client";

import { FileUpIcon, Loader2Icon, RocketIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import { useId, useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { toast } from "@/components/ui/toast";
import { CSV_MAX_BYTES, type CsvAudience, csvAudience, parseCsv } from "@/lib/campaigns/csv";
import type { VariableMapping, VariableSource } from "@/lib/campaigns/variables";
import type { AudienceSummary, PreviewView } from "@/lib/services/campaigns";
import type { PickerTemplate } from "@/lib/services/templates";
import { renderTemplate } from "@/lib/whatsapp/template-params";
import { type ApiError, campaignApi } from "./api";
import { PreviewSummary } from "./preview-summary";

type Props = {
  inboxes: Array<{ id: string; name: string; displayNumber: string }>;
  templatesByInbox: Record<string, PickerTemplate[]>;
  labels: Array<{ label: string; contacts: number }>;
  timezone: string;
};

type AudienceKind = "label" | "csv" | "recent";
type Slot = { where: "body" | "header" | "buttons"; name: string; label: string };

const selectClass =
  "h-9 w-full rounded-md border border-input bg-transparent px-3 text-sm shadow-xs outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50 disabled:opacity-50";

/** A variable source as one <select> value: "field:profile_name", "column:Nome", "text". */
function sourceKey(s: VariableSource | undefined): string {
  if (!s) return "";
  if (s.source === "field") return `field:${s.field}`;
  if (s.source === "column") return `column:${s.column}`;
  return "text";
}

function slotsOf(t: PickerTemplate | undefined): Slot[] {
  if (!t) return [];
  const v = t.variables;
  return [
    ...v.header.map((name) => ({ where: "header" as const, name, label: `Header {{${name}}}` })),
    ...v.body.map((name) => ({ where: "body" as const, name, label: `Body {{${name}}}` })),
    ...v.buttons.map((b) => ({
      where: "buttons" as const,
      name: String(b.index),
      label: `Button ${b.index + 1} URL`,
    })),
  ];
}

/**
 * The new-campaign form: inbox and approved template, audience (label, CSV upload with per-row
 * variables, or "wrote in the last N days"), a source for every template variable, pace and
 * schedule — then the engine's cost preview, and launch.
 */
export function CampaignWizard({ inboxes, templatesByInbox, labels, timezone }: Props) {
  const router = useRouter();
  const ids = useId();
  const [name, setName] = useState("");
  const [inboxId, setInboxId] = useState(inboxes[0]?.id ?? "");
  const templates = templatesByInbox[inboxId] ?? [];
  const [templateId, setTemplateId] = useState("");
  const template = templates.find((t) => t.id === templateId);

  const [kind, setKind] = useState<AudienceKind>("label");
  const [label, setLabel] = useState(labels[0]?.label ?? "");
  const [days, setDays] = useState(30);
  const [csv, setCsv] = useState<{ text: string; filename: string } | null>(null);
  const [phoneColumn, setPhoneColumn] = useState<string | undefined>(undefined);
  const [mapping, setMapping] = useState<VariableMapping>({ body: {}, header: {}, buttons: {} });
  const [headerLink, setHeaderLink] = useState("");
  const [rate, setRate] = useState(80);
  const [when, setWhen] = useState<"now" | "later">("now");
  const [at, setAt] = useState("");

  const [preview, setPreview] = useState<(PreviewView & { audienceSummary: AudienceSummary }) | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<"preview" | "launch" | null>(null);

  const parsedCsv = useMemo(():
    | { ok: true; audience: CsvAudience }
    | { ok: false; message: string }
    | null => {
    if (!csv) return null;
    const p = parseCsv(csv.text);
    if (!p.ok) return p;
    return csvAudience(p.table, { phoneColumn });
  }, [csv, phoneColumn]);
  const columns = kind === "csv" && parsedCsv?.ok ? parsedCsv.audience.variableColumns : [];
  const slots = slotsOf(template);

  const invalidate = () => {
    setPreview(null);
    setError(null);
  };

  function chooseTemplate(id: string) {
    setTemplateId(id);
    const t = templates.find((x) => x.id === id);
    // The usual first variable is the customer's name.
    const body: Record<string, VariableSource> = {};
    const first = t?.variables.body[0];
    if (first) body[first] = { source: "field", field: "profile_name", fallback: "there" };
    setMapping({ body, header: {}, buttons: {} });
    invalidate();
  }

  function setSource(slot: Slot, key: string) {
    const prev = mapping[slot.where][slot.name];
    let next: VariableSource | undefined;
    if (key === "field:profile_name") next = { source: "field", field: "profile_name", fallback: "there" };
    else if (key === "field:wa_id") next = { source: "field", field: "wa_id" };
    else if (key.startsWith("column:")) next = { source: "column", column: key.slice(7) };
    else if (key === "text") next = { source: "text", value: prev?.source === "text" ? prev.value : "" };
    const group = { ...mapping[slot.where] };
    if (next) group[slot.name] = next;
    else delete group[slot.name];
    setMapping({ ...mapping, [slot.where]: group });
    invalidate();
  }

  function setSourceText(slot: Slot, value: string) {
    const src = mapping[slot.where][slot.name];
    if (!src) return;
    const next: VariableSource =
      src.source === "text" ? { source: "text", value } : { ...src, fallback: value || undefined };
    setMapping({ ...mapping, [slot.where]: { ...mapping[slot.where], [slot.name]: next } });
    invalidate();
  }

  async function onFile(file: File | undefined) {
    invalidate();
    setPhoneColumn(undefined);
    if (!file) return setCsv(null);
    if (file.size > CSV_MAX_BYTES) {
      setCsv(null);
      setError({ code: "invalid_input", message: "The file is larger than 5 MB." });
      return;
    }
    setCsv({ text: await file.text(), filename: file.name });
  }

  /** A sample of the message with the first recipient's values (or placeholders). */
  const sample = useMemo(() => {
    if (!template) return null;
    const row = kind === "csv" && parsedCsv?.ok ? parsedCsv.audience.rows.find((r) => !r.problem) : undefined;
    const sampleValue = (src: VariableSource | undefined, name: string) => {
      if (!src) return `{{${name}}}`;
      if (src.source === "text") return src.value || `{{${name}}}`;
      if (src.source === "column") return row?.values[src.column] || src.fallback || `[${src.column}]`;
      if (src.field === "wa_id") return row?.waId ?? "5511987654321";
      return src.fallback ? `[name or “${src.fallback}”]` : "[name]";
    };
    const toMap = (where: Slot["where"], names: string[]) =>
      new Map(names.map((n) => [n, sampleValue(mapping[where][n], n)] as [string, string]));
    return renderTemplate(template.components, {
      header: toMap("header", template.variables.header),
      body: toMap("body", template.variables.body),
      buttonValues: new Map(
        template.variables.buttons.map((b) => [
          b.index,
          sampleValue(mapping.buttons[String(b.index)], String(b.index)),
        ]),
      ),
    });
  }, [template, mapping, kind, parsedCsv]);

  function campaignInput() {
    const audience =
      kind === "label"
        ? { kind, label }
        : kind === "recent"
          ? { kind, days }
          : { kind, csv: csv?.text ?? "", filename: csv?.filename, phoneColumn };
    const vars: VariableMapping = { ...mapping };
    if (template?.variables.headerMedia && headerLink) {
      vars.headerMedia = { kind: template.variables.headerMedia, link: headerLink };
    }
    return { name, inboxId, templateId, audience, variables: vars, ratePerSecond: rate };
  }

  async function runPreview() {
    setBusy("preview");
    setError(null);
    const r = await campaignApi<PreviewView & { audienceSummary: AudienceSummary }>("/preview", {
      body: campaignInput(),
    });
    setBusy(null);
    if (r.ok) setPreview(r.data);
    else setError(r.error);
  }

  async function launch() {
    setBusy("launch");
    setError(null);
    const r = await campaignApi<{ campaignId: string }>("", {
      body: { campaign: campaignInput(), launch: when === "now" ? { when } : { when, at } },
    });
    if (!r.ok) {
      setBusy(null);
      setError(r.error);
      return;
    }
    toast.success(when === "now" ? "Campaign launched." : "Campaign scheduled.");
    router.push(`/campaigns/${r.data.campaignId}`);
  }

  const canPreview =
    name.trim() !== "" &&
    inboxId !== "" &&
    templateId !== "" &&
    (kind !== "label" || label !== "") &&
    (kind !== "csv" || (parsedCsv?.ok ?? false));

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,26rem)]">
      <form
        className="grid gap-6"
        onSubmit={(e) => {
          e.preventDefault();
          void runPreview();
        }}
      >
        <fieldset className="grid gap-3 rounded-lg border p-4">
          <legend className="px-1 font-semibold">1 · Campaign</legend>
          <div className="grid gap-1.5">
            <Label htmlFor={`${ids}-name`}>Name</Label>
            <Input
              id={`${ids}-name`}
              value={name}
              maxLength={120}
              onChange={(e) => setName(e.target.value)}
              placeholder="Spring sale"
              required
            />
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-inbox`}>Inbox (business number)</Label>
              <select
                id={`${ids}-inbox`}
                className={selectClass}
                value={inboxId}
                onChange={(e) => {
                  setInboxId(e.target.value);
                  setTemplateId("");
                  invalidate();
                }}
              >
                {inboxes.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.name} (+{i.displayNumber.replace(/^\+/, "")})
                  </option>
                ))}
              </select>
            </div>
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-template`}>Approved template</Label>
              <select
                id={`${ids}-template`}
                className={selectClass}
                value={templateId}
                onChange={(e) => chooseTemplate(e.target.value)}
              >
                <option value="">Choose a template…</option>
                {templates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} · {t.language} · {t.category}
                  </option>
                ))}
              </select>
              {templates.length === 0 && (
                <p className="text-xs text-muted-foreground">This inbox has no approved templates yet.</p>
              )}
            </div>
          </div>
        </fieldset>

        <fieldset className="grid gap-3 rounded-lg border p-4">
          <legend className="px-1 font-semibold">2 · Audience</legend>
          <div role="radiogroup" aria-label="Audience" className="flex flex-wrap gap-2">
            {(
              [
                ["label", "Contacts with a label"],
                ["csv", "CSV upload"],
                ["recent", "Wrote to us recently"],
              ] as const
            ).map(([k, text]) => (
              <label
                key={k}
                className="flex cursor-pointer items-center gap-2 rounded-md border px-3 py-1.5 text-sm has-checked:border-primary"
              >
                <input
                  type="radio"
                  name={`${ids}-audience`}
                  value={k}
                  checked={kind === k}
                  onChange={() => {
                    setKind(k);
                    invalidate();
                  }}
                />
                {text}
              </label>
            ))}
          </div>
          {kind === "label" && (
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-label`}>Label</Label>
              {labels.length === 0 ? (
                <p className="text-sm text-muted-foreground">No contact has a label yet.</p>
              ) : (
                <select
                  id={`${ids}-label`}
                  className={selectClass}
                  value={label}
                  onChange={(e) => {
                    setLabel(e.target.value);
                    invalidate();
                  }}
                >
                  {labels.map((l) => (
                    <option key={l.label} value={l.label}>
                      {l.label} ({l.contacts.toLocaleString("en-US")})
                    </option>
                  ))}
                </select>
              )}
            </div>
          )}
          {kind === "recent" && (
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-days`}>Wrote to this number in the last … days</Label>
              <Input
                id={`${ids}-days`}
                type="number"
                min={1}
                max={365}
                value={days}
                onChange={(e) => {
                  setDays(Math.max(1, Math.min(365, Number(e.target.value) || 1)));
                  invalidate();
                }}
                className="w-32"
              />
            </div>
          )}
          {kind === "csv" && (
            <div className="grid gap-2">
              <Label htmlFor={`${ids}-csv`} className="flex items-center gap-2">
                <FileUpIcon className="size-4" /> CSV file (one phone number per row, any other columns become
                variables)
              </Label>
              <Input
                id={`${ids}-csv`}
                type="file"
                accept=".csv,text/csv,text/plain"
                onChange={(e) => void onFile(e.target.files?.[0])}
              />
              {parsedCsv && !parsedCsv.ok && (
                <p role="alert" className="text-sm text-destructive">
                  {parsedCsv.message}
                </p>
              )}
              {parsedCsv?.ok && (
                <div className="grid gap-2 text-sm">
                  <p>
                    {parsedCsv.audience.valid.toLocaleString("en-US")} valid numbers
                    {parsedCsv.audience.invalid > 0 &&
                      `, ${parsedCsv.audience.invalid.toLocaleString("en-US")} rows excluded (invalid or repeated)`}
                    {parsedCsv.audience.hasHeader
                      ? ""
                      : " · no header row: columns are named column_1, column_2, …"}
                  </p>
                  <div className="grid gap-1.5 sm:w-64">
                    <Label htmlFor={`${ids}-phonecol`}>Phone number column</Label>
                    <select
                      id={`${ids}-phonecol`}
                      className={selectClass}
                      value={parsedCsv.audience.phoneColumn}
                      onChange={(e) => {
                        setPhoneColumn(e.target.value);
                        invalidate();
                      }}
                    >
                      {parsedCsv.audience.columns.map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  </div>
                  {parsedCsv.audience.invalid > 0 && (
                    <details>
                      <summary className="cursor-pointer text-xs text-muted-foreground">
                        Rows that will be excluded
                      </summary>
                      <ul className="mt-1 max-h-40 overflow-y-auto text-xs">
                        {parsedCsv.audience.rows
                          .filter((r) => r.problem)
                          .slice(0, 200)
                          .map((r) => (
                            <li key={r.line} className="border-t py-1">
                              Line {r.line}: <span className="font-mono">{r.raw || "(empty)"}</span> —{" "}
                              {r.problem?.message}
                            </li>
                          ))}
                      </ul>
                    </details>
                  )}
                </div>
              )}
            </div>
          )}
        </fieldset>

        <fieldset className="grid gap-3 rounded-lg border p-4" disabled={!template}>
          <legend className="px-1 font-semibold">3 · Variables</legend>
          {!template && <p className="text-sm text-muted-foreground">Choose a template first.</p>}
          {template && slots.length === 0 && !template.variables.headerMedia && (
            <p className="text-sm text-muted-foreground">
              This template has no variables: everyone gets the same text.
            </p>
          )}
          {slots.map((slot) => {
            const src = mapping[slot.where][slot.name];
            const id = `${ids}-var-${slot.where}-${slot.name}`;
            return (
              <div
                key={`${slot.where}-${slot.name}`}
                className="grid gap-1.5 sm:grid-cols-[10rem_minmax(0,1fr)_minmax(0,1fr)] sm:items-center"
              >
                <Label htmlFor={id}>{slot.label}</Label>
                <select
                  id={id}
                  className={selectClass}
                  value={sourceKey(src)}
                  onChange={(e) => setSource(slot, e.target.value)}
                >
                  <option value="">Choose a value…</option>
                  <option value="field:profile_name">Contact name</option>
                  <option value="field:wa_id">WhatsApp number</option>
                  {columns.map((c) => (
                    <option key={c} value={`column:${c}`}>
                      CSV column “{c}”
                    </option>
                  ))}
                  <option value="text">Same text for everyone</option>
                </select>
                {src &&
                  (src.source === "text" || src.source === "column" || src.field === "profile_name") && (
                    <Input
                      aria-label={src.source === "text" ? `${slot.label} text` : `${slot.label} when empty`}
                      placeholder={src.source === "text" ? "Text" : "When empty (e.g. there)"}
                      value={src.source === "text" ? src.value : (src.fallback ?? "")}
                      onChange={(e) => setSourceText(slot, e.target.value)}
                    />
                  )}
              </div>
            );
          })}
          {template?.variables.headerMedia && (
            <div className="grid gap-1.5">
              <Label htmlFor={`${ids}-media`}>
                Header {template.variables.headerMedia} (public https link)
              </Label>
              <Input
                id={`${ids}-media`}
                type="url"
                value={headerLink}
                onChange={(e) => {
                  setHeaderLink(e.target.value);
                  invalidate();
                }}
              />
            </div>
          )}
          {sample && (
            <section className="grid gap-1 rounded-md bg-muted p-3 text-sm" aria-label="Message preview">
              {sample.header && <p className="font-semibold">{sample.header}</p>}
              <p className="whitespace-pre-wrap">{sample.body}</p>
              {sample.footer && <p className="text-xs text-muted-foreground">{sample.footer}</p>}
            </section>
          )}
        </fieldset>

        <fieldset className="grid gap-3 rounded-lg border p-4">
          <legend className="px-1 font-semibold">4 · Pace and schedule</legend>
          <div className="grid gap-1.5 sm:w-64">
            <Label htmlFor={`${ids}-rate`}>Messages per second</Label>
            <Input
              id={`${ids}-rate`}
              type="number"
              min={1}
              max={1000}
              value={rate}
              onChange={(e) => setRate(Math.max(1, Math.min(1000, Number(e.target.value) || 1)))}
            />
            <p className="text-xs text-muted-foreground">
              WhatsApp allows 80 per second per number by default (up to 1,000 once upgraded); the sender
              slows down by itself when WhatsApp says it is too fast.
            </p>
          </div>
          <div role="radiogroup" aria-label="When" className="flex flex-wrap items-center gap-3 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name={`${ids}-when`}
                checked={when === "now"}
                onChange={() => setWhen("now")}
              />{" "}
              Send now
            </label>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name={`${ids}-when`}
                checked={when === "later"}
                onChange={() => setWhen("later")}
              />{" "}
              Later
            </label>
            {when === "later" && (
              <Input
                type="datetime-local"
                aria-label={`Send at (${timezone})`}
                value={at}
                onChange={(e) => setAt(e.target.value)}
                className="w-56"
              />
            )}
            {when === "later" && <span className="text-xs text-muted-foreground">{timezone} time</span>}
          </div>
        </fieldset>

        {error && (
          <div
            role="alert"
            className="rounded-md border border-destructive/50 bg-destructive/5 p-3 text-sm text-destructive"
          >
            <p>{error.message}</p>
            {error.problems && error.problems.length > 1 && (
              <ul className="mt-1 list-disc pl-5">
                {error.problems.slice(1).map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </div>
        )}

        <div className="flex flex-wrap gap-2">
          <Button type="submit" variant="outline" disabled={!canPreview || busy !== null}>
            {busy === "preview" && <Loader2Icon className="animate-spin" />}
            Preview cost
          </Button>
        </div>
      </form>

      <aside className="grid content-start gap-3 lg:sticky lg:top-4">
        {template && (
          <p className="flex items-center gap-2 text-sm">
            Template <strong>{template.name}</strong> <Badge variant="outline">{template.category}</Badge>
          </p>
        )}
        {!preview && (
          <p className="rounded-lg border border-dashed p-4 text-sm text-muted-foreground">
            Preview the cost to see, for every recipient, whether the template opens a new conversation, falls
            inside one that is already open, or is free — computed by the same engine that bills afterwards.
          </p>
        )}
        {preview && (
          <>
            <PreviewSummary
              preview={preview}
              excludedList={preview.excludedList}
              duplicates={preview.audienceSummary.kind === "csv" ? preview.audienceSummary.duplicates : 0}
              timeZone={timezone}
            />
            <Button
              type="button"
              onClick={() => void launch()}
              disabled={busy !== null || preview.sendable === 0 || (when === "later" && !at)}
            >
              {busy === "launch" ? <Loader2Icon className="animate-spin" /> : <RocketIcon />}
              {when === "now"
                ? `Launch: send to ${preview.sendable.toLocaleString("en-US")}`
                : `Schedule for ${at.replace("T", " ")} (${timezone})`}
            </Button>
          </>
        )}
      </aside>
    </div>
  );
}
