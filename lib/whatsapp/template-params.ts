/**
 * Template variables: which values a stored template needs ({{1}} positional or {{first_name}}
 * named, in the header text, the body and URL buttons), whether a send supplies all of them,
 * Meta's `components` array for the send, and the final text the agent and the customer see.
 * Pure: no I/O.
 */

/** A component as Meta stores it on a template (`/{waba-id}/message_templates`). Types are case-insensitive. */
export type StoredTemplateComponent = {
  type: string;
  format?: string;
  text?: string;
  buttons?: Array<{ type: string; text?: string; url?: string; phone_number?: string }>;
  [key: string]: unknown;
};

export type HeaderMediaKind = "image" | "video" | "document";
/** A header media parameter: Meta's media id or a public https link. */
export type HeaderMediaParam = { kind: HeaderMediaKind; id?: string; link?: string; filename?: string };

/** Values for one text with variables: positional values in order, or values by name. */
export type ParamValues = string[] | Record<string, string>;

export type TemplateParamsInput = {
  /** Body variables. */
  params?: ParamValues;
  /** Header text variables (Meta allows at most one). */
  headerParams?: ParamValues;
  /** Header image / video / document, required when the template's header has that format. */
  headerMedia?: HeaderMediaParam;
  /**
   * URL button suffixes. An array gives them in the order the variable URL buttons appear;
   * a record keys them by the button's index in the template's buttons (as Meta's `index`).
   */
  buttonParams?: string[] | Record<string, string>;
};

/** Meta's send-time component (`template.components[]` of POST /{phone-number-id}/messages). */
export type SendComponent =
  | { type: "header"; parameters: SendParameter[] }
  | { type: "body"; parameters: SendParameter[] }
  | { type: "button"; sub_type: "url"; index: string; parameters: SendParameter[] };

export type SendParameter =
  | { type: "text"; text: string; parameter_name?: string }
  | { type: "image"; image: { id?: string; link?: string } }
  | { type: "video"; video: { id?: string; link?: string } }
  | { type: "document"; document: { id?: string; link?: string; filename?: string } };

/** What the agent and the customer see, variables filled. */
export type RenderedTemplate = {
  header: string | null;
  headerMedia: HeaderMediaKind | null;
  body: string;
  footer: string | null;
  buttons: Array<{ type: string; text: string; url?: string }>;
};

/** The variables a template needs, in order of first appearance. */
export type TemplateVariables = {
  /** Whether the template uses named ({{first_name}}) rather than positional ({{1}}) variables. */
  named: boolean;
  header: string[];
  headerMedia: HeaderMediaKind | null;
  body: string[];
  /** URL buttons with a variable: their index among the template's buttons, and variable names. */
  buttons: Array<{ index: number; variables: string[] }>;
};

const VAR_RE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Distinct variable names in a text, in order of first appearance ("1", "2" or "first_name"). */
export function variablesIn(text: string | undefined): string[] {
  if (!text) return [];
  const seen: string[] = [];
  for (const m of text.matchAll(VAR_RE)) if (!seen.includes(m[1])) seen.push(m[1]);
  // Positional variables are sent in numeric order, whatever order the text uses them in.
  if (seen.every((v) => /^\d+$/.test(v))) seen.sort((a, b) => Number(a) - Number(b));
  return seen;
}

function component(components: readonly StoredTemplateComponent[], type: string) {
  return components.find((c) => c.type?.toUpperCase() === type);
}

/** The variables `components` need. */
export function templateVariables(components: readonly StoredTemplateComponent[]): TemplateVariables {
  const header = component(components, "HEADER");
  const body = component(components, "BODY");
  const buttons = component(components, "BUTTONS")?.buttons ?? [];
  const format = header?.format?.toUpperCase() ?? "TEXT";
  const headerMedia =
    header && ["IMAGE", "VIDEO", "DOCUMENT"].includes(format)
      ? (format.toLowerCase() as HeaderMediaKind)
      : null;
  const headerVars = header && format === "TEXT" ? variablesIn(header.text) : [];
  const bodyVars = variablesIn(body?.text);
  const buttonVars = buttons
    .map((b, index) => ({ index, type: b.type?.toUpperCase(), variables: variablesIn(b.url) }))
    .filter((b) => b.type === "URL" && b.variables.length > 0)
    .map(({ index, variables }) => ({ index, variables }));
  const all = [...headerVars, ...bodyVars];
  return {
    named: all.some((v) => !/^\d+$/.test(v)),
    header: headerVars,
    headerMedia,
    body: bodyVars,
    buttons: buttonVars,
  };
}

export type BuildTemplateResult =
  | { ok: true; components: SendComponent[]; rendered: RenderedTemplate }
  | { ok: false; problems: string[]; message: string };

/**
 * Checks that `input` fills every variable of the template (and no more) and returns Meta's
 * send components plus the rendered text. On failure `message` is one sentence naming what
 * is missing, e.g. `Template "order_update" needs a value for body {{2}}.`
 */
export function buildTemplateSend(
  template: { name: string; components: readonly StoredTemplateComponent[] },
  input: TemplateParamsInput,
): BuildTemplateResult {
  const vars = templateVariables(template.components);
  const problems: string[] = [];

  const header = resolveValues("header", vars.header, input.headerParams, problems);
  const body = resolveValues("body", vars.body, input.params, problems);

  if (vars.headerMedia) {
    const m = input.headerMedia;
    if (!m || (!m.id && !m.link)) problems.push(`a header ${vars.headerMedia}`);
    else if (m.kind !== vars.headerMedia)
      problems.push(`a header ${vars.headerMedia} (a ${m.kind} was given)`);
  } else if (input.headerMedia) {
    problems.push("no header media (this template's header has none)");
  }

  const buttonValues = new Map<number, string>();
  const given = input.buttonParams;
  vars.buttons.forEach((b, i) => {
    const v = Array.isArray(given) ? given[i] : given?.[String(b.index)];
    if (v === undefined || v.trim() === "") problems.push(`a value for the URL of button ${b.index + 1}`);
    else buttonValues.set(b.index, v);
  });
  const buttonCount = Array.isArray(given) ? given.length : given ? Object.keys(given).length : 0;
  if (buttonCount > vars.buttons.length) {
    problems.push(`at most ${vars.buttons.length} button value(s) (${buttonCount} given)`);
  }

  if (problems.length > 0) {
    const missing = problems.join(", ");
    return { ok: false, problems, message: `Template "${template.name}" needs ${missing}.` };
  }

  const components: SendComponent[] = [];
  const textParam = (name: string, value: string): SendParameter =>
    vars.named ? { type: "text", parameter_name: name, text: value } : { type: "text", text: value };
  if (vars.headerMedia && input.headerMedia) {
    const m = input.headerMedia;
    const ref = m.id ? { id: m.id } : { link: m.link };
    const p: SendParameter =
      m.kind === "document"
        ? { type: "document", document: { ...ref, ...(m.filename ? { filename: m.filename } : {}) } }
        : m.kind === "image"
          ? { type: "image", image: ref }
          : { type: "video", video: ref };
    components.push({ type: "header", parameters: [p] });
  } else if (vars.header.length > 0) {
    components.push({ type: "header", parameters: vars.header.map((n) => textParam(n, header.get(n)!)) });
  }
  if (vars.body.length > 0) {
    components.push({ type: "body", parameters: vars.body.map((n) => textParam(n, body.get(n)!)) });
  }
  for (const b of vars.buttons) {
    components.push({
      type: "button",
      sub_type: "url",
      index: String(b.index),
      parameters: [{ type: "text", text: buttonValues.get(b.index)! }],
    });
  }

  return {
    ok: true,
    components,
    rendered: renderTemplate(template.components, { header, body, buttonValues }),
  };
}

/** Maps given values onto variable names, recording what is missing, blank, extra or malformed. */
function resolveValues(
  where: "header" | "body",
  names: string[],
  given: ParamValues | undefined,
  problems: string[],
): Map<string, string> {
  const out = new Map<string, string>();
  const positional = names.every((n) => /^\d+$/.test(n));
  const missing: string[] = [];
  names.forEach((name, i) => {
    let v: string | undefined;
    if (Array.isArray(given)) v = positional ? given[Number(name) - 1] : given[i];
    else if (given) v = given[name];
    if (v === undefined || v === null || String(v).trim() === "") missing.push(`{{${name}}}`);
    else out.set(name, String(v));
  });
  if (missing.length > 0) {
    problems.push(`${missing.length === 1 ? "a value" : "values"} for ${where} ${missing.join(", ")}`);
  }
  const expected = positional && names.length > 0 ? Math.max(...names.map(Number)) : names.length;
  if (Array.isArray(given) && given.length > expected) {
    problems.push(`at most ${expected} ${where} value(s) (${given.length} given)`);
  } else if (given && !Array.isArray(given)) {
    const extra = Object.keys(given).filter((k) => !names.includes(k));
    if (extra.length > 0)
      problems.push(`no ${where} variable(s) named ${extra.map((k) => `{{${k}}}`).join(", ")}`);
  }
  // Meta rejects text parameters with newlines, tabs or more than 4 consecutive spaces (error 132018).
  for (const [name, v] of out) {
    if (/[\n\t]/.test(v) || / {5,}/.test(v)) {
      problems.push(`${where} {{${name}}} without line breaks, tabs or more than 4 spaces in a row`);
    }
  }
  return out;
}

function fill(text: string, values: Map<string, string>): string {
  return text.replace(VAR_RE, (whole, name: string) => values.get(name) ?? whole);
}

/** The template's text as the customer sees it, variables filled. */
export function renderTemplate(
  components: readonly StoredTemplateComponent[],
  values: { header?: Map<string, string>; body?: Map<string, string>; buttonValues?: Map<number, string> },
): RenderedTemplate {
  const header = component(components, "HEADER");
  const format = header?.format?.toUpperCase() ?? "TEXT";
  const footer = component(components, "FOOTER");
  const buttons = component(components, "BUTTONS")?.buttons ?? [];
  return {
    header: header && format === "TEXT" && header.text ? fill(header.text, values.header ?? new Map()) : null,
    headerMedia:
      header && ["IMAGE", "VIDEO", "DOCUMENT"].includes(format)
        ? (format.toLowerCase() as HeaderMediaKind)
        : null,
    body: fill(component(components, "BODY")?.text ?? "", values.body ?? new Map()),
    footer: footer?.text ?? null,
    buttons: buttons.map((b, i) => {
      const url = b.url
        ? fill(
            b.url,
            new Map([...variablesIn(b.url)].map((n) => [n, values.buttonValues?.get(i) ?? `{{${n}}}`])),
          )
        : undefined;
      return { type: b.type?.toLowerCase() ?? "quick_reply", text: b.text ?? "", ...(url ? { url } : {}) };
    }),
  };
}
