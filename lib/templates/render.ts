/**
 * Rendering a template's components into the text the customer sees: with the
 * examples stored on the template (the admin's preview), or with whatever values
 * an agent has typed so far (the picker's live preview, missing ones left as
 * {{n}}). Sending itself uses buildTemplateSend in lib/whatsapp/template-params.ts,
 * which refuses missing values; both fill variables with its renderTemplate. Pure.
 */
import {
  type ParamValues,
  type RenderedTemplate,
  renderTemplate,
  type StoredTemplateComponent,
  type TemplateParamsInput,
  templateVariables,
} from "../whatsapp/template-params";
import { orderedVariables } from "./variables";

type Values = { header: Map<string, string>; body: Map<string, string>; buttonValues: Map<number, string> };

const find = (components: readonly StoredTemplateComponent[], type: string) =>
  components.find((c) => c.type?.toUpperCase() === type);

/** The example values stored on a template's components (what Meta reviewed it with). */
export function templateExamples(components: readonly StoredTemplateComponent[]): Values {
  const vars = templateVariables(components);
  const out: Values = { header: new Map(), body: new Map(), buttonValues: new Map() };

  const header = find(components, "HEADER")?.example as Record<string, unknown> | undefined;
  const headerNamed = header?.header_text_named_params as
    | Array<{ param_name: string; example: string }>
    | undefined;
  const headerPositional = header?.header_text as string[] | undefined;
  if (Array.isArray(headerNamed))
    for (const p of headerNamed) out.header.set(p.param_name, String(p.example ?? ""));
  else if (Array.isArray(headerPositional) && vars.header[0] && headerPositional[0] !== undefined)
    out.header.set(vars.header[0], String(headerPositional[0]));

  const body = find(components, "BODY")?.example as Record<string, unknown> | undefined;
  const bodyNamed = body?.body_text_named_params as
    | Array<{ param_name: string; example: string }>
    | undefined;
  const bodyPositional = (body?.body_text as string[][] | undefined)?.[0];
  if (Array.isArray(bodyNamed))
    for (const p of bodyNamed) out.body.set(p.param_name, String(p.example ?? ""));
  else if (Array.isArray(bodyPositional)) {
    orderedVariables(vars.body).forEach((name, i) => {
      if (bodyPositional[i] !== undefined) out.body.set(name, String(bodyPositional[i]));
    });
  }

  const buttons = find(components, "BUTTONS")?.buttons ?? [];
  for (const { index } of vars.buttons) {
    const b = buttons[index] as { url?: string; example?: unknown };
    const full = Array.isArray(b.example) ? String(b.example[0] ?? "") : "";
    const at = (b.url ?? "").search(/\{\{[^{}]*\}\}/);
    if (at >= 0 && full.startsWith((b.url ?? "").slice(0, at))) out.buttonValues.set(index, full.slice(at));
  }
  // A missing example (a draft being typed) leaves its {{n}} visible instead of an empty gap.
  for (const m of [out.header, out.body, out.buttonValues] as Map<unknown, string>[]) {
    for (const [k, v] of m) if (v.trim() === "") m.delete(k);
  }
  return out;
}

/** The template as Meta's reviewers (and the admin's preview) see it: filled with its examples. */
export function renderPreview(components: readonly StoredTemplateComponent[]): RenderedTemplate {
  return renderTemplate(components, templateExamples(components));
}

function toMap(names: readonly string[], given: ParamValues | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!given) return out;
  const positional = names.every((n) => /^\d+$/.test(n));
  names.forEach((name, i) => {
    const v = Array.isArray(given) ? (positional ? given[Number(name) - 1] : given[i]) : given[name];
    if (v !== undefined && v !== null && String(v).trim() !== "") out.set(name, String(v));
  });
  return out;
}

/**
 * The template filled with the values given so far; variables without a value
 * stay as {{name}} so the agent sees what is left to fill.
 */
export function renderWithParams(
  components: readonly StoredTemplateComponent[],
  input: TemplateParamsInput,
): RenderedTemplate {
  const vars = templateVariables(components);
  const buttonValues = new Map<number, string>();
  vars.buttons.forEach((b, i) => {
    const given = input.buttonParams;
    const v = Array.isArray(given) ? given[i] : given?.[String(b.index)];
    if (v !== undefined && v.trim() !== "") buttonValues.set(b.index, v);
  });
  return renderTemplate(components, {
    header: toMap(vars.header, input.headerParams),
    body: toMap(vars.body, input.params),
    buttonValues,
  });
}

/** A run of WhatsApp-formatted text: *bold*, _italic_, ~strikethrough~, ```monospace```. */
export type FormattedSegment = {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  mono?: boolean;
};

const FORMAT_RE = /```([\s\S]+?)```|\*([^*\n]+)\*|_([^_\n]+)_|~([^~\n]+)~/g;

/** Splits text into segments with WhatsApp's inline formatting, as the phone displays it. */
export function whatsappFormat(text: string): FormattedSegment[] {
  const out: FormattedSegment[] = [];
  let last = 0;
  for (const m of text.matchAll(FORMAT_RE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ text: m[1], mono: true });
    else if (m[2] !== undefined) out.push({ text: m[2], bold: true });
    else if (m[3] !== undefined) out.push({ text: m[3], italic: true });
    else out.push({ text: m[4], strike: true });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
