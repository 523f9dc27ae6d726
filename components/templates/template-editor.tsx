"use client";

import { PlusIcon, Trash2Icon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useRef, useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import {
  type ButtonDraft,
  type ButtonType,
  type HeaderFormat,
  type MetaTemplateCategory,
  type TemplateDraft,
  toStoredComponents,
} from "@/lib/templates/draft";
import { TEMPLATE_LANGUAGES } from "@/lib/templates/languages";
import { renderPreview } from "@/lib/templates/render";
import {
  draftVariables,
  editProblems,
  TEMPLATE_LIMITS,
  validateTemplateDraft,
} from "@/lib/templates/validate";
import { scanVariables } from "@/lib/templates/variables";
import { describedBy, Field, NativeSelect } from "./form-field";
import { TemplatePreview } from "./template-preview";

export type EditorWaba = { wabaId: string; label: string };

type SaveResult = ActionResult<{ id: string; status: string }>;

const CATEGORY_HINT: Record<MetaTemplateCategory, string> = {
  MARKETING: "Promotions, offers, news. Opens a marketing conversation (the most expensive).",
  UTILITY: "Updates about something the customer asked for or bought: orders, bookings, accounts.",
  AUTHENTICATION: "One-time codes. WhatsApp writes the text; you choose the expiry and button.",
};

const BUTTON_LABEL: Record<ButtonType, string> = {
  QUICK_REPLY: "Quick reply",
  URL: "Visit website",
  PHONE_NUMBER: "Call phone number",
};

const newButton = (type: ButtonType): ButtonDraft => ({
  type,
  text: "",
  url: "",
  example: "",
  phoneNumber: "",
});

/**
 * The create / edit form: Meta's rules are checked as the admin types (the same
 * validator the server runs), each message beside its field, with a live
 * WhatsApp preview filled with the example values.
 */
export function TemplateEditor({
  mode,
  wabas,
  initialWabaId,
  initialDraft,
  original,
  create,
  edit,
}: {
  mode: "create" | "edit";
  wabas: EditorWaba[];
  initialWabaId: string;
  initialDraft: TemplateDraft;
  /** Edit mode: the stored template, for Meta's edit limits. */
  original?: { name: string; language: string; category: string; status: string };
  /** Create mode: the server action, given the chosen WABA. */
  create?: (wabaId: string, draft: TemplateDraft) => Promise<SaveResult>;
  /** Edit mode: the server action bound to the template's id. */
  edit?: (draft: TemplateDraft) => Promise<SaveResult>;
}) {
  const router = useRouter();
  const [draft, setDraft] = useState<TemplateDraft>(initialDraft);
  const [wabaId, setWabaId] = useState(initialWabaId);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const bodyRef = useRef<HTMLTextAreaElement>(null);

  const localErrors = useMemo(() => {
    const errors = { ...validateTemplateDraft(draft).errors };
    if (original) Object.assign(errors, editProblems(original, draft));
    return errors;
  }, [draft, original]);
  const vars = useMemo(() => draftVariables(draft), [draft]);
  const preview = useMemo(() => renderPreview(toStoredComponents(draft)), [draft]);

  /** The message for a field: the server's (until the field changes), else ours once touched or submitted. */
  const err = (key: string) =>
    serverErrors[key] ?? (submitted || touched.has(key) ? localErrors[key] : undefined);
  const touch = (key: string) => setTouched((t) => (t.has(key) ? t : new Set(t).add(key)));

  const update = (key: string, change: (d: TemplateDraft) => void) => {
    setDraft((d) => {
      const next = structuredClone(d);
      change(next);
      return next;
    });
    touch(key);
    if (serverErrors[key] || serverErrors.form) {
      setServerErrors(({ [key]: _gone, form: _form, ...rest }) => rest);
    }
  };

  const insertVariable = () => {
    const scan = scanVariables(draft.body.text);
    if (scan.kind === "named" || scan.kind === "mixed") return;
    const next = `{{${scan.names.length + 1}}}`;
    const el = bodyRef.current;
    const at = el ? el.selectionStart : draft.body.text.length;
    update("body.text", (d) => {
      d.body.text = d.body.text.slice(0, at) + next + d.body.text.slice(at);
    });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + next.length, at + next.length);
    });
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setFormError(null);
    if (Object.keys(localErrors).length > 0) {
      setFormError("Fix the fields marked in red: nothing was sent to WhatsApp.");
      return;
    }
    startTransition(async () => {
      const r = edit ? await edit(draft) : create ? await create(wabaId, draft) : null;
      if (!r) return;
      if (r.ok) {
        toast.success(
          mode === "create"
            ? `"${draft.name}" was submitted to WhatsApp for review.`
            : `"${draft.name}" was saved and sent back to WhatsApp for review.`,
        );
        router.push("/admin/templates");
        router.refresh();
        return;
      }
      const details = r.error.details ?? {};
      const fields = (details.fields as Record<string, string> | undefined) ?? {};
      const field = typeof details.field === "string" ? details.field : null;
      const mapped = field ? { ...fields, [field]: r.error.message } : fields;
      setServerErrors(mapped);
      setFormError(
        Object.keys(mapped).length > 0
          ? "The template was not saved: see the marked fields."
          : r.error.message,
      );
    });
  };

  const auth = draft.category === "AUTHENTICATION";
  const editing = mode === "edit";
  const approvedEdit = editing && original?.status === "APPROVED";

  return (
    <form onSubmit={submit} noValidate className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <div className="grid gap-6">
        {formError && (
          <div
            role="alert"
            className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive"
          >
            {formError}
          </div>
        )}

        <section className="grid gap-4 sm:grid-cols-2" aria-label="Template basics">
          <Field id="tpl-waba" label="WhatsApp account" error={err("wabaId")} className="sm:col-span-2">
            <NativeSelect
              {...describedBy("tpl-waba", err("wabaId"))}
              value={wabaId}
              disabled={editing}
              onChange={(e) => setWabaId(e.target.value)}
            >
              {wabas.map((w) => (
                <option key={w.wabaId} value={w.wabaId}>
                  {w.label}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field
            id="tpl-name"
            label="Name"
            error={err("name")}
            hint="Lowercase letters, digits and underscores. It cannot change later."
            count={{ used: draft.name.length, max: TEMPLATE_LIMITS.name }}
            className="sm:col-span-2"
          >
            <Input
              {...describedBy("tpl-name", err("name"), true)}
              value={draft.name}
              disabled={editing}
              autoComplete="off"
              spellCheck={false}
              placeholder="order_update"
              onChange={(e) => update("name", (d) => (d.name = e.target.value))}
              onBlur={() => touch("name")}
            />
          </Field>
          <Field id="tpl-language" label="Language" error={err("language")}>
            <NativeSelect
              {...describedBy("tpl-language", err("language"))}
              value={draft.language}
              disabled={editing}
              onChange={(e) => update("language", (d) => (d.language = e.target.value))}
            >
              {Object.entries(TEMPLATE_LANGUAGES).map(([code, name]) => (
                <option key={code} value={code}>
                  {name} — {code}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field
            id="tpl-category"
            label="Category"
            error={err("category")}
            hint={
              approvedEdit ? "An approved template's category cannot change." : CATEGORY_HINT[draft.category]
            }
          >
            <NativeSelect
              {...describedBy("tpl-category", err("category"), true)}
              value={draft.category}
              disabled={approvedEdit}
              onChange={(e) =>
                update("category", (d) => (d.category = e.target.value as MetaTemplateCategory))
              }
            >
              <option value="MARKETING">Marketing</option>
              <option value="UTILITY">Utility</option>
              <option value="AUTHENTICATION">Authentication</option>
            </NativeSelect>
          </Field>
        </section>

        {auth ? (
          <section className="grid gap-4 rounded-lg border p-4" aria-label="Authentication code">
            <p className="text-sm text-muted-foreground">
              WhatsApp writes the message: “<b>123456</b> is your verification code.” You choose:
            </p>
            <div className="flex items-center gap-3">
              <Switch
                id="tpl-auth-security"
                checked={draft.auth.securityRecommendation}
                onCheckedChange={(v) =>
                  update("auth.securityRecommendation", (d) => (d.auth.securityRecommendation = v))
                }
              />
              <label htmlFor="tpl-auth-security" className="text-sm">
                Add “For your security, do not share this code.”
              </label>
            </div>
            <Field
              id="tpl-auth-expiry"
              label="Code expires after (minutes)"
              error={err("auth.codeExpirationMinutes")}
              hint="1–90 minutes; leave empty for no expiry footer."
            >
              <Input
                {...describedBy("tpl-auth-expiry", err("auth.codeExpirationMinutes"), true)}
                type="number"
                min={1}
                max={90}
                value={draft.auth.codeExpirationMinutes ?? ""}
                onChange={(e) =>
                  update("auth.codeExpirationMinutes", (d) => {
                    d.auth.codeExpirationMinutes = e.target.value === "" ? null : Number(e.target.value);
                  })
                }
              />
            </Field>
            <Field
              id="tpl-auth-button"
              label="Copy-code button label"
              error={err("auth.buttonText")}
              count={{ used: draft.auth.buttonText.length, max: TEMPLATE_LIMITS.buttonLabel }}
            >
              <Input
                {...describedBy("tpl-auth-button", err("auth.buttonText"))}
                value={draft.auth.buttonText}
                onChange={(e) => update("auth.buttonText", (d) => (d.auth.buttonText = e.target.value))}
              />
            </Field>
          </section>
        ) : (
          <>
            <section className="grid gap-4" aria-label="Template header">
              <Field
                id="tpl-header-format"
                label="Header"
                hint="Optional: a line of text (one variable at most) or media."
              >
                <NativeSelect
                  {...describedBy("tpl-header-format", undefined, true)}
                  value={draft.header.format}
                  onChange={(e) =>
                    update("header.format", (d) => (d.header.format = e.target.value as HeaderFormat))
                  }
                >
                  <option value="NONE">None</option>
                  <option value="TEXT">Text</option>
                  <option value="IMAGE">Image</option>
                  <option value="VIDEO">Video</option>
                  <option value="DOCUMENT">Document</option>
                </NativeSelect>
              </Field>
              {draft.header.format === "TEXT" && (
                <>
                  <Field
                    id="tpl-header-text"
                    label="Header text"
                    error={err("header.text")}
                    count={{ used: draft.header.text.length, max: TEMPLATE_LIMITS.headerText }}
                  >
                    <Input
                      {...describedBy("tpl-header-text", err("header.text"))}
                      value={draft.header.text}
                      onChange={(e) => update("header.text", (d) => (d.header.text = e.target.value))}
                      onBlur={() => touch("header.text")}
                    />
                  </Field>
                  {vars.header.length > 0 && (
                    <Field
                      id="tpl-header-example"
                      label={`Header example for {{${vars.header[0]}}}`}
                      error={err("header.example")}
                    >
                      <Input
                        {...describedBy("tpl-header-example", err("header.example"))}
                        value={draft.header.example}
                        onChange={(e) => update("header.example", (d) => (d.header.example = e.target.value))}
                        onBlur={() => touch("header.example")}
                      />
                    </Field>
                  )}
                </>
              )}
              {["IMAGE", "VIDEO", "DOCUMENT"].includes(draft.header.format) && (
                <Field
                  id="tpl-header-media"
                  label={`Sample ${draft.header.format.toLowerCase()}`}
                  error={err("header.mediaSample")}
                  hint="A public https:// link or a Resumable Upload handle. Agents attach the real file when sending."
                >
                  <Input
                    {...describedBy("tpl-header-media", err("header.mediaSample"), true)}
                    value={draft.header.mediaSample}
                    placeholder="https://…"
                    onChange={(e) =>
                      update("header.mediaSample", (d) => (d.header.mediaSample = e.target.value))
                    }
                    onBlur={() => touch("header.mediaSample")}
                  />
                </Field>
              )}
            </section>

            <section className="grid gap-4" aria-label="Message body">
              <Field
                id="tpl-body"
                label="Body"
                error={err("body.text")}
                hint={
                  <>
                    Variables: numbered <code>{"{{1}}"}</code>, <code>{"{{2}}"}</code>… or named{" "}
                    <code>{"{{first_name}}"}</code> — not both. *bold* _italic_ ~strike~.
                  </>
                }
                count={{ used: draft.body.text.length, max: TEMPLATE_LIMITS.body }}
              >
                <Textarea
                  {...describedBy("tpl-body", err("body.text"), true)}
                  ref={bodyRef}
                  rows={6}
                  value={draft.body.text}
                  onChange={(e) => update("body.text", (d) => (d.body.text = e.target.value))}
                  onBlur={() => touch("body.text")}
                />
              </Field>
              <div>
                <Button
                  type="button"
                  variant="outline"
                  size="sm"
                  onClick={insertVariable}
                  disabled={scanVariables(draft.body.text).kind === "named"}
                >
                  <PlusIcon /> Add variable
                </Button>
              </div>
              {vars.body.length > 0 && (
                <fieldset className="grid gap-3 rounded-lg border p-3">
                  <legend className="px-1 text-sm font-medium">
                    Example values (WhatsApp reviews the template with them)
                  </legend>
                  {vars.body.map((v) => {
                    const key = `body.examples.${v}`;
                    const id = `tpl-example-${v}`;
                    return (
                      <Field key={v} id={id} label={`Example for {{${v}}}`} error={err(key)}>
                        <Input
                          {...describedBy(id, err(key))}
                          value={draft.body.examples[v] ?? ""}
                          onChange={(e) => update(key, (d) => (d.body.examples[v] = e.target.value))}
                          onBlur={() => touch(key)}
                        />
                      </Field>
                    );
                  })}
                </fieldset>
              )}
            </section>

            <section aria-label="Template footer">
              <Field
                id="tpl-footer"
                label="Footer"
                error={err("footer.text")}
                hint="Optional, no variables."
                count={{ used: draft.footer.text.length, max: TEMPLATE_LIMITS.footer }}
              >
                <Input
                  {...describedBy("tpl-footer", err("footer.text"), true)}
                  value={draft.footer.text}
                  onChange={(e) => update("footer.text", (d) => (d.footer.text = e.target.value))}
                  onBlur={() => touch("footer.text")}
                />
              </Field>
            </section>

            <ButtonsEditor buttons={draft.buttons} err={err} touch={touch} update={update} />
          </>
        )}

        <div className="flex items-center gap-3">
          <Button type="submit" disabled={pending}>
            {pending ? "Sending to WhatsApp…" : editing ? "Save and resubmit" : "Submit for review"}
          </Button>
          <Button type="button" variant="ghost" asChild>
            <Link href="/admin/templates">Cancel</Link>
          </Button>
        </div>
      </div>

      <aside className="lg:sticky lg:top-4 lg:self-start">
        <h2 className="mb-2 text-sm font-medium text-muted-foreground">Preview with the example values</h2>
        <TemplatePreview rendered={preview} label="Template preview" />
      </aside>
    </form>
  );
}

function ButtonsEditor({
  buttons,
  err,
  touch,
  update,
}: {
  buttons: ButtonDraft[];
  err: (key: string) => string | undefined;
  touch: (key: string) => void;
  update: (key: string, change: (d: TemplateDraft) => void) => void;
}) {
  const full = buttons.length >= TEMPLATE_LIMITS.buttons;
  return (
    <section className="grid gap-3" aria-label="Template buttons">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="text-sm font-medium">Buttons</h2>
        <span className="text-xs text-muted-foreground">
          Optional, up to {TEMPLATE_LIMITS.buttons}: quick replies, 2 websites, 1 phone number.
        </span>
      </div>
      {err("buttons") && <p className="text-xs text-destructive">{err("buttons")}</p>}
      {buttons.map((b, i) => {
        const k = (f: string) => `buttons.${i}.${f}`;
        const id = (f: string) => `tpl-button-${i}-${f}`;
        const urlHasVar = b.type === "URL" && scanVariables(b.url).names.length > 0;
        return (
          <fieldset key={i} className="grid gap-3 rounded-lg border p-3 sm:grid-cols-2">
            <legend className="px-1 text-sm font-medium">
              Button {i + 1}: {BUTTON_LABEL[b.type]}
            </legend>
            <Field
              id={id("text")}
              label={`Button ${i + 1} label`}
              error={err(k("text"))}
              count={{ used: b.text.length, max: TEMPLATE_LIMITS.buttonLabel }}
            >
              <Input
                {...describedBy(id("text"), err(k("text")))}
                value={b.text}
                onChange={(e) => update(k("text"), (d) => (d.buttons[i].text = e.target.value))}
                onBlur={() => touch(k("text"))}
              />
            </Field>
            {b.type === "URL" && (
              <Field
                id={id("url")}
                label={`Button ${i + 1} website`}
                error={err(k("url"))}
                hint="May end with {{1}} for a per-message suffix."
              >
                <Input
                  {...describedBy(id("url"), err(k("url")), true)}
                  value={b.url}
                  placeholder="https://example.com/orders/{{1}}"
                  onChange={(e) => update(k("url"), (d) => (d.buttons[i].url = e.target.value))}
                  onBlur={() => touch(k("url"))}
                />
              </Field>
            )}
            {urlHasVar && (
              <Field id={id("example")} label={`Button ${i + 1} example for {{1}}`} error={err(k("example"))}>
                <Input
                  {...describedBy(id("example"), err(k("example")))}
                  value={b.example}
                  onChange={(e) => update(k("example"), (d) => (d.buttons[i].example = e.target.value))}
                  onBlur={() => touch(k("example"))}
                />
              </Field>
            )}
            {b.type === "PHONE_NUMBER" && (
              <Field id={id("phone")} label={`Button ${i + 1} phone number`} error={err(k("phoneNumber"))}>
                <Input
                  {...describedBy(id("phone"), err(k("phoneNumber")))}
                  value={b.phoneNumber}
                  type="tel"
                  placeholder="+5511987654321"
                  onChange={(e) =>
                    update(k("phoneNumber"), (d) => (d.buttons[i].phoneNumber = e.target.value))
                  }
                  onBlur={() => touch(k("phoneNumber"))}
                />
              </Field>
            )}
            <div className="flex items-end sm:col-span-2">
              <Button
                type="button"
                variant="ghost"
                size="sm"
                onClick={() => update("buttons", (d) => d.buttons.splice(i, 1))}
              >
                <Trash2Icon /> Remove button {i + 1}
              </Button>
            </div>
          </fieldset>
        );
      })}
      <div className="flex flex-wrap gap-2">
        {(Object.keys(BUTTON_LABEL) as ButtonType[]).map((type) => (
          <Button
            key={type}
            type="button"
            variant="outline"
            size="sm"
            disabled={full}
            onClick={() => update("buttons", (d) => d.buttons.push(newButton(type)))}
          >
            <PlusIcon /> {BUTTON_LABEL[type]}
          </Button>
        ))}
      </div>
    </section>
  );
}
