/**
 * Meta's rules for message templates, checked before anything is sent, with a
 * sentence per field the form shows beside it. Keys are field paths:
 * "name", "header.text", "body.examples.first_name", "buttons.2.url", "form"...
 * Pure: the same function runs in the browser (as the admin types) and in the
 * service (before calling Meta).
 */
import type { ButtonDraft, TemplateDraft } from "./draft";
import { META_TEMPLATE_CATEGORIES } from "./draft";
import { isTemplateLanguage } from "./languages";
import { missingPositions, orderedVariables, scanVariables, type VariableScan } from "./variables";

export const TEMPLATE_LIMITS = {
  name: 512,
  headerText: 60,
  body: 1024,
  footer: 60,
  buttonLabel: 25,
  buttons: 10,
  urlButtons: 2,
  phoneButtons: 1,
  url: 2000,
  phone: 20,
  example: 200,
  codeExpirationMinutes: { min: 1, max: 90 },
} as const;

export const TEMPLATE_NAME_RE = /^[a-z0-9_]+$/;

export type FieldErrors = Record<string, string>;
export type ValidationResult = { ok: boolean; errors: FieldErrors };

/** The variables the draft's texts use, for the form's example inputs. */
export function draftVariables(d: TemplateDraft): { header: string[]; body: string[]; urlButtons: number[] } {
  return {
    header: d.header.format === "TEXT" ? scanVariables(d.header.text).names : [],
    body: orderedVariables(scanVariables(d.body.text).names),
    urlButtons: d.buttons.flatMap((b, i) =>
      b.type === "URL" && scanVariables(b.url).names.length > 0 ? [i] : [],
    ),
  };
}

/** Checks a draft against Meta's template rules. */
export function validateTemplateDraft(d: TemplateDraft): ValidationResult {
  const errors: FieldErrors = {};
  const set = (key: string, message: string) => {
    errors[key] ??= message;
  };

  // Name
  if (d.name.trim() === "") set("name", "Give the template a name.");
  else if (!TEMPLATE_NAME_RE.test(d.name))
    set("name", "Use only lowercase letters, digits and underscores (e.g. order_update).");
  else if (d.name.length > TEMPLATE_LIMITS.name)
    set("name", `The name is ${d.name.length} characters; the limit is ${TEMPLATE_LIMITS.name}.`);

  if (!isTemplateLanguage(d.language)) set("language", `"${d.language}" is not a language Meta supports.`);
  if (!(META_TEMPLATE_CATEGORIES as readonly string[]).includes(d.category))
    set("category", "Choose Marketing, Utility or Authentication.");

  if (d.category === "AUTHENTICATION") {
    validateAuthentication(d, set);
    return { ok: Object.keys(errors).length === 0, errors };
  }

  // Header
  let headerScan: VariableScan | null = null;
  if (d.header.format === "TEXT") {
    const text = d.header.text;
    headerScan = scanVariables(text);
    if (text.trim() === "") set("header.text", "Write the header text, or choose no header.");
    else if (text.length > TEMPLATE_LIMITS.headerText)
      set(
        "header.text",
        `The header is ${text.length} characters; the limit is ${TEMPLATE_LIMITS.headerText}.`,
      );
    else if (/[\r\n]/.test(text)) set("header.text", "The header must be a single line.");
    variableSyntax(headerScan, "header.text", set);
    if (headerScan.occurrences.length > 1) set("header.text", "The header can have at most one variable.");
    else if (headerScan.kind === "positional" && headerScan.names[0] !== "1")
      set("header.text", "The header's variable must be {{1}}.");
    if (headerScan.names.length > 0)
      exampleValue(d.header.example, "header.example", `{{${headerScan.names[0]}}}`, set);
  } else if (d.header.format !== "NONE") {
    const sample = d.header.mediaSample.trim();
    const kind = d.header.format.toLowerCase();
    if (sample === "") set("header.mediaSample", `Meta needs a sample ${kind} to review this template.`);
    else if (/^[a-z]+:/i.test(sample) && !/^https:\/\/\S+$/.test(sample))
      set("header.mediaSample", `The sample ${kind} must be an https:// link or an upload handle.`);
  }

  // Body
  const body = d.body.text;
  const bodyScan = scanVariables(body);
  if (body.trim() === "") set("body.text", "Write the message body.");
  else if (body.length > TEMPLATE_LIMITS.body)
    set("body.text", `The body is ${body.length} characters; the limit is ${TEMPLATE_LIMITS.body}.`);
  variableSyntax(bodyScan, "body.text", set);
  if (bodyScan.occurrences.length > 0 && body.trim() !== "") {
    const first = bodyScan.occurrences[0];
    const last = bodyScan.occurrences[bodyScan.occurrences.length - 1];
    const lead = body.slice(0, first.start).trim();
    const trail = body.slice(last.end).trim();
    // Meta rejects a body that starts or ends with a variable (error 2388299); trailing punctuation is enough.
    if (lead === "") set("body.text", "The body cannot start with a variable: put some text before it.");
    else if (trail === "")
      set("body.text", "The body cannot end with a variable: put some text (even a full stop) after it.");
  }
  if (
    headerScan &&
    headerScan.kind !== "none" &&
    bodyScan.kind !== "none" &&
    headerScan.kind !== bodyScan.kind
  ) {
    // parameter_format is template-wide.
    set("header.text", "Use the same kind of variables in the header and the body (numbered or named).");
  }
  for (const name of orderedVariables(bodyScan.names)) {
    exampleValue(d.body.examples[name], `body.examples.${name}`, `{{${name}}}`, set);
  }

  // Footer
  const footer = d.footer.text;
  if (footer.length > TEMPLATE_LIMITS.footer)
    set("footer.text", `The footer is ${footer.length} characters; the limit is ${TEMPLATE_LIMITS.footer}.`);
  else if (/\{\{|\}\}/.test(footer)) set("footer.text", "The footer cannot contain variables.");

  validateButtons(d.buttons, set);
  return { ok: Object.keys(errors).length === 0, errors };
}

type Setter = (key: string, message: string) => void;

function variableSyntax(scan: VariableScan, key: string, set: Setter) {
  if (scan.invalid.length > 0)
    set(
      key,
      `${scan.invalid[0]} is not a valid variable: use {{1}}, {{2}}… or a name in lowercase letters, digits and underscores like {{first_name}}.`,
    );
  else if (scan.strayBraces) set(key, "A variable is not closed: write it as {{1}} or {{first_name}}.");
  else if (scan.kind === "mixed")
    set(key, "Use either numbered variables ({{1}}) or named ones ({{first_name}}), not both.");
  else if (scan.kind === "positional") {
    const missing = missingPositions(scan.names);
    if (missing.length > 0)
      set(key, `Numbered variables must run from {{1}} without gaps: {{${missing[0]}}} is missing.`);
  }
}

function exampleValue(value: string | undefined, key: string, label: string, set: Setter) {
  const v = value ?? "";
  if (v.trim() === "") set(key, `Give an example value for ${label}: Meta reviews the template with it.`);
  else if (v.length > TEMPLATE_LIMITS.example)
    set(key, `The example for ${label} is too long (at most ${TEMPLATE_LIMITS.example} characters).`);
  else if (/[\r\n\t]/.test(v) || / {5,}/.test(v))
    set(key, `The example for ${label} cannot contain line breaks, tabs or more than 4 spaces in a row.`);
  else if (/\{\{|\}\}/.test(v)) set(key, `The example for ${label} cannot contain a variable.`);
}

function validateButtons(buttons: readonly ButtonDraft[], set: Setter) {
  if (buttons.length > TEMPLATE_LIMITS.buttons)
    set(
      "buttons",
      `A template can have at most ${TEMPLATE_LIMITS.buttons} buttons (it has ${buttons.length}).`,
    );
  const urls = buttons.filter((b) => b.type === "URL").length;
  const phones = buttons.filter((b) => b.type === "PHONE_NUMBER").length;
  if (urls > TEMPLATE_LIMITS.urlButtons)
    set("buttons", `At most ${TEMPLATE_LIMITS.urlButtons} website buttons.`);
  if (phones > TEMPLATE_LIMITS.phoneButtons) set("buttons", "At most one phone number button.");
  // Meta shows quick replies and call-to-action buttons as two groups, so each kind must be contiguous.
  const kinds = buttons.map((b) => (b.type === "QUICK_REPLY" ? "q" : "c")).join("");
  if (/q+c+q|c+q+c/.test(kinds))
    set(
      "buttons",
      "Keep quick replies together: put them all before or all after the website and phone buttons.",
    );

  buttons.forEach((b, i) => {
    const key = `buttons.${i}`;
    const label = b.text.trim();
    if (label === "") set(`${key}.text`, "Give the button a label.");
    else if (b.text.length > TEMPLATE_LIMITS.buttonLabel)
      set(
        `${key}.text`,
        `The label is ${b.text.length} characters; the limit is ${TEMPLATE_LIMITS.buttonLabel}.`,
      );
    else if (/\{\{|\}\}/.test(b.text)) set(`${key}.text`, "A button label cannot contain variables.");
    if (buttons.some((o, j) => j < i && o.text.trim() === label && label !== ""))
      set(`${key}.text`, "Two buttons cannot have the same label.");

    if (b.type === "URL") {
      const url = b.url.trim();
      const scan = scanVariables(url);
      if (url === "") set(`${key}.url`, "Give the website address.");
      else if (url.length > TEMPLATE_LIMITS.url)
        set(`${key}.url`, `The address is too long (at most ${TEMPLATE_LIMITS.url} characters).`);
      else if (!isHttpUrl(url.replace(/\{\{[^{}]*\}\}/g, "x")))
        set(`${key}.url`, "Use a full address starting with https:// or http://.");
      else if (scan.invalid.length > 0 || scan.strayBraces || scan.occurrences.length > 1)
        set(`${key}.url`, "A website address can have one variable, written {{1}}.");
      else if (scan.occurrences.length === 1) {
        const [occ] = scan.occurrences;
        if (occ.name !== "1") set(`${key}.url`, "A website address's variable must be {{1}}.");
        else if (occ.end !== url.length) set(`${key}.url`, "The variable must be at the end of the address.");
        else exampleValue(b.example, `${key}.example`, "the address's {{1}}", set);
      }
    } else if (b.type === "PHONE_NUMBER") {
      const phone = b.phoneNumber.trim();
      if (phone === "") set(`${key}.phoneNumber`, "Give the phone number to call.");
      else if (
        !/^\+?[1-9][0-9]{6,19}$/.test(phone.replace(/[\s()-]/g, "")) ||
        phone.length > TEMPLATE_LIMITS.phone
      )
        set(
          `${key}.phoneNumber`,
          "Use the full number with country code, e.g. +5511987654321 (at most 20 characters).",
        );
    }
  });
}

function validateAuthentication(d: TemplateDraft, set: Setter) {
  const { min, max } = TEMPLATE_LIMITS.codeExpirationMinutes;
  const m = d.auth.codeExpirationMinutes;
  if (m !== null && (!Number.isInteger(m) || m < min || m > max))
    set("auth.codeExpirationMinutes", `The code's expiry must be between ${min} and ${max} minutes.`);
  const label = d.auth.buttonText;
  if (label.trim() === "") set("auth.buttonText", "Give the copy-code button a label.");
  else if (label.length > TEMPLATE_LIMITS.buttonLabel)
    set(
      "auth.buttonText",
      `The label is ${label.length} characters; the limit is ${TEMPLATE_LIMITS.buttonLabel}.`,
    );
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "https:" || u.protocol === "http:") && u.hostname.includes(".");
  } catch {
    return false;
  }
}

/** Statuses Meta lets you edit. */
export const EDITABLE_STATUSES = ["APPROVED", "REJECTED", "PAUSED"] as const;

/**
 * Meta's limits on editing an existing template: only approved, rejected or
 * paused ones; the name and language are fixed; an approved template's
 * category cannot change.
 */
export function editProblems(
  existing: { name: string; language: string; category: string; status: string },
  d: TemplateDraft,
): FieldErrors {
  const errors: FieldErrors = {};
  if (!(EDITABLE_STATUSES as readonly string[]).includes(existing.status)) {
    errors.form = `Only approved, rejected or paused templates can be edited; this one is ${existing.status}.`;
  }
  if (d.name !== existing.name)
    errors.name = "A template's name cannot change: create a new template instead.";
  if (d.language !== existing.language)
    errors.language = "A template's language cannot change: create it again in the other language.";
  if (existing.status === "APPROVED" && d.category !== existing.category.toUpperCase())
    errors.category = "An approved template's category cannot change.";
  return errors;
}
