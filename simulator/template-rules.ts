/**
 * Message template rules as Meta's template review and send API apply them: what a valid
 * template definition is, whether a send's parameters fit the template, and how the customer's
 * phone renders the result. Pure functions; errors are Graph errors.
 */
import { ERR, invalidParameter } from "./meta-wire";

export const TEMPLATE_CATEGORIES_META = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;
export type MetaTemplateCategory = (typeof TEMPLATE_CATEGORIES_META)[number];
export const TEMPLATE_STATUSES_META = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;
export type MetaTemplateStatus = (typeof TEMPLATE_STATUSES_META)[number];

export type TemplateButton = { type: string; text: string; url?: string; phone_number?: string };
export type TemplateComponent = {
  type: string;
  format?: string;
  text?: string;
  buttons?: TemplateButton[];
  example?: unknown;
  [k: string]: unknown;
};

export const TEMPLATE_NAME_RE = /^[a-z0-9_]{1,512}$/;
const LANGUAGE_RE = /^[a-z]{2,3}(_[A-Z]{2,4})?$/;
const VARIABLE_RE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The distinct variables of a template text, in order of first appearance (`{{1}}` → "1"). */
export function templateVariables(text: string | undefined): string[] {
  if (!text) return [];
  const seen: string[] = [];
  for (const m of text.matchAll(VARIABLE_RE)) if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

function component(components: readonly TemplateComponent[], type: string): TemplateComponent | undefined {
  return components.find((c) => String(c.type).toUpperCase() === type);
}

const userError = (title: string, msg: string) =>
  invalidParameter(msg, { error_subcode: 2388040, error_user_title: title, error_user_msg: msg });

/** Validates `{{…}}` variables of one component: positional ones must run 1..n; mixing is refused. */
function checkVariables(where: string, text: string | undefined, format: "POSITIONAL" | "NAMED") {
  const vars = templateVariables(text);
  if (vars.length === 0) return;
  const positional = vars.every((v) => /^\d+$/.test(v));
  const named = vars.every((v) => /^[a-z_][a-z0-9_]*$/.test(v));
  if (format === "POSITIONAL") {
    if (!positional) {
      throw userError(
        "Invalid variable parameters",
        `${where}: named variables need "parameter_format": "NAMED"; positional variables are {{1}}, {{2}}, …`,
      );
    }
    const nums = vars.map(Number).sort((a, b) => a - b);
    if (nums.some((n, i) => n !== i + 1)) {
      throw userError(
        "Invalid variable parameters",
        `${where}: variables must be sequential, starting at {{1}} (got ${vars.map((v) => `{{${v}}}`).join(", ")})`,
      );
    }
  } else if (!named) {
    throw userError(
      "Invalid variable parameters",
      `${where}: named variables are lowercase letters, digits and _`,
    );
  }
}

/**
 * Validates a template definition (create or edit) and returns its normalised components and
 * parameter format. Throws Meta-shaped errors for what Meta's API refuses synchronously.
 */
export function validateTemplateComponents(
  components: unknown,
  category: MetaTemplateCategory,
  parameterFormat: unknown,
): { components: TemplateComponent[]; parameterFormat: "POSITIONAL" | "NAMED" } {
  const format = parameterFormat === undefined ? "POSITIONAL" : String(parameterFormat).toUpperCase();
  if (format !== "POSITIONAL" && format !== "NAMED") {
    throw invalidParameter(`parameter_format must be POSITIONAL or NAMED, got ${String(parameterFormat)}`);
  }
  if (!Array.isArray(components) || components.length === 0) {
    throw invalidParameter("components is required: an array with at least a BODY component");
  }
  const out: TemplateComponent[] = [];
  const counts: Record<string, number> = {};
  for (const raw of components) {
    if (!raw || typeof raw !== "object" || typeof (raw as TemplateComponent).type !== "string") {
      throw invalidParameter("every component needs a type (HEADER, BODY, FOOTER or BUTTONS)");
    }
    const c = { ...(raw as TemplateComponent), type: (raw as TemplateComponent).type.toUpperCase() };
    if (!["HEADER", "BODY", "FOOTER", "BUTTONS"].includes(c.type)) {
      throw invalidParameter(`unknown component type ${c.type}`);
    }
    counts[c.type] = (counts[c.type] ?? 0) + 1;
    if (counts[c.type] > 1) throw invalidParameter(`a template has at most one ${c.type} component`);
    if (c.type === "BODY") {
      if (category !== "AUTHENTICATION" && (typeof c.text !== "string" || c.text.trim() === "")) {
        throw invalidParameter("BODY component needs a non-empty text");
      }
      if (typeof c.text === "string" && c.text.length > 1024) {
        throw invalidParameter("BODY text is limited to 1024 characters");
      }
      checkVariables("BODY", c.text, format);
      if (templateVariables(c.text).length > 0 && c.example === undefined) {
        throw userError(
          "Missing sample values",
          "BODY has variables but no example: add example.body_text (positional) or example.body_text_named_params (named)",
        );
      }
    }
    if (c.type === "HEADER") {
      const f = String(c.format ?? "TEXT").toUpperCase();
      if (!["TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"].includes(f)) {
        throw invalidParameter(`HEADER format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION, got ${f}`);
      }
      c.format = f;
      if (f === "TEXT") {
        if (typeof c.text !== "string" || c.text.trim() === "")
          throw invalidParameter("TEXT HEADER needs a text");
        if (c.text.length > 60) throw invalidParameter("HEADER text is limited to 60 characters");
        checkVariables("HEADER", c.text, format);
        if (templateVariables(c.text).length > 1)
          throw invalidParameter("HEADER allows at most one variable");
      }
    }
    if (c.type === "FOOTER") {
      if (typeof c.text !== "string" || c.text.length > 60) {
        throw invalidParameter("FOOTER needs a text of at most 60 characters");
      }
      if (templateVariables(c.text).length > 0) throw invalidParameter("FOOTER cannot have variables");
    }
    if (c.type === "BUTTONS") {
      if (!Array.isArray(c.buttons) || c.buttons.length === 0 || c.buttons.length > 10) {
        throw invalidParameter("BUTTONS needs 1 to 10 buttons");
      }
      for (const b of c.buttons) {
        if (!b || typeof b.text !== "string" || b.text.length === 0 || b.text.length > 25) {
          throw invalidParameter("every button needs a text of at most 25 characters");
        }
      }
    }
    out.push(c);
  }
  if (!component(out, "BODY")) throw invalidParameter("a template needs a BODY component");
  return { components: out, parameterFormat: format };
}

/** Validates create-template fields other than components. */
export function validateTemplateHeader(body: Record<string, unknown>): {
  name: string;
  language: string;
  category: MetaTemplateCategory;
} {
  const { name, language, category } = body;
  if (typeof name !== "string" || !TEMPLATE_NAME_RE.test(name)) {
    throw userError(
      "Invalid template name",
      `name must be 1–512 lowercase letters, digits or underscores (got ${JSON.stringify(name ?? null)})`,
    );
  }
  if (typeof language !== "string" || !LANGUAGE_RE.test(language)) {
    throw invalidParameter(
      `language must be a language code such as en_US or pt_BR (got ${JSON.stringify(language ?? null)})`,
    );
  }
  const cat = typeof category === "string" ? category.toUpperCase() : "";
  if (!(TEMPLATE_CATEGORIES_META as readonly string[]).includes(cat)) {
    throw invalidParameter(
      `category must be MARKETING, UTILITY or AUTHENTICATION (got ${JSON.stringify(category ?? null)})`,
    );
  }
  return { name, language, category: cat as MetaTemplateCategory };
}

/** The human name Meta puts in its duplicate-language message ("English (US)"). */
export function languageLabel(code: string): string {
  const names: Record<string, string> = {
    en_US: "English (US)",
    en_GB: "English (UK)",
    en: "English",
    pt_BR: "Portuguese (BR)",
    pt_PT: "Portuguese (POR)",
    es: "Spanish",
    es_ES: "Spanish (SPA)",
    es_MX: "Spanish (MEX)",
  };
  return names[code] ?? code;
}

type SendParam = {
  type?: string;
  text?: string;
  parameter_name?: string;
  payload?: string;
  currency?: { fallback_value?: string };
  date_time?: { fallback_value?: string };
  image?: { link?: string; id?: string };
  video?: { link?: string; id?: string };
  document?: { link?: string; id?: string; filename?: string };
};
type SendComponent = { type?: string; sub_type?: string; index?: string | number; parameters?: SendParam[] };

/** The send API's `template` object. */
export type TemplateSend = {
  name?: unknown;
  language?: { code?: unknown; policy?: unknown };
  components?: unknown;
};

function sendComponents(send: TemplateSend): SendComponent[] {
  if (send.components === undefined) return [];
  if (!Array.isArray(send.components)) throw invalidParameter("template.components must be an array");
  return send.components as SendComponent[];
}

function paramValue(p: SendParam): string {
  if (typeof p.text === "string") return p.text;
  if (p.currency?.fallback_value) return p.currency.fallback_value;
  if (p.date_time?.fallback_value) return p.date_time.fallback_value;
  if (typeof p.payload === "string") return p.payload;
  return "";
}

/** Checks that a component's parameters match the template text's variables (count, or names for NAMED). */
function checkParams(
  where: "body" | "header",
  text: string | undefined,
  params: SendParam[],
  format: string,
) {
  const vars = templateVariables(text);
  if (format === "NAMED") {
    const given = params.map((p) => p.parameter_name).filter((n): n is string => typeof n === "string");
    const missing = vars.filter((v) => !given.includes(v));
    const extra = given.filter((g) => !vars.includes(g));
    if (missing.length || extra.length || given.length !== params.length) {
      throw ERR.templateParams(
        `${where}: named parameters do not match the template's (${vars.join(", ") || "none"})` +
          (missing.length ? `; missing ${missing.join(", ")}` : "") +
          (extra.length ? `; unexpected ${extra.join(", ")}` : ""),
      );
    }
    return;
  }
  if (params.length !== vars.length) {
    throw ERR.templateParams(
      `${where}: number of localizable_params (${params.length}) does not match the expected number of params (${vars.length})`,
    );
  }
}

/**
 * Checks a template send against the stored template: body and header parameters match its
 * variables (132000), a media header gets media (132012). Returns the rendered message.
 */
export function checkTemplateSend(
  template: { name: string; components: TemplateComponent[]; parameterFormat: "POSITIONAL" | "NAMED" },
  send: TemplateSend,
): RenderedTemplate {
  const comps = sendComponents(send);
  const byType = (t: string) => comps.filter((c) => String(c.type ?? "").toLowerCase() === t);
  const bodyParams = byType("body").flatMap((c) => c.parameters ?? []);
  const headerParams = byType("header").flatMap((c) => c.parameters ?? []);

  const body = component(template.components, "BODY");
  checkParams("body", body?.text, bodyParams, template.parameterFormat);

  const header = component(template.components, "HEADER");
  if (header && header.format === "TEXT") {
    checkParams("header", header.text, headerParams, template.parameterFormat);
  } else if (header?.format && header.format !== "LOCATION") {
    const expected = header.format.toLowerCase();
    const got = headerParams[0]?.type?.toLowerCase();
    if (got !== expected) {
      throw ERR.templateFormat(
        `header: Format mismatch, expected ${header.format}, received ${got?.toUpperCase() ?? "UNKNOWN"}`,
      );
    }
  } else if (!header && headerParams.length > 0) {
    throw ERR.templateParams(
      `header: number of localizable_params (${headerParams.length}) does not match the expected number of params (0)`,
    );
  }
  return renderTemplate(template, bodyParams, headerParams, byType("button"));
}

export type RenderedTemplate = {
  header: string | null;
  headerMedia: { type: string; link?: string; id?: string } | null;
  body: string;
  footer: string | null;
  buttons: Array<{ type: string; text: string; payload: string | null; url?: string }>;
};

function fill(text: string, params: SendParam[]): string {
  return text.replace(VARIABLE_RE, (whole, name: string) => {
    const byName = params.find((p) => p.parameter_name === name);
    if (byName) return paramValue(byName);
    const idx = /^\d+$/.test(name) ? Number(name) - 1 : -1;
    return idx >= 0 && params[idx] ? paramValue(params[idx]) : whole;
  });
}

/** What the customer's phone shows for a template send. */
export function renderTemplate(
  template: { components: TemplateComponent[] },
  bodyParams: SendParam[],
  headerParams: SendParam[],
  buttonComponents: SendComponent[] = [],
): RenderedTemplate {
  const header = component(template.components, "HEADER");
  const body = component(template.components, "BODY");
  const footer = component(template.components, "FOOTER");
  const buttons = component(template.components, "BUTTONS")?.buttons ?? [];
  let headerMedia: RenderedTemplate["headerMedia"] = null;
  if (header?.format && header.format !== "TEXT" && headerParams[0]) {
    const p = headerParams[0];
    const media = p.image ?? p.video ?? p.document;
    headerMedia = { type: String(p.type), link: media?.link, id: media?.id };
  }
  return {
    header: header && header.format === "TEXT" && header.text ? fill(header.text, headerParams) : null,
    headerMedia,
    body: fill(body?.text ?? "", bodyParams),
    footer: footer?.text ?? null,
    buttons: buttons.map((b, i) => {
      const sent = buttonComponents.find((c) => Number(c.index) === i);
      const payload = sent?.parameters?.[0]?.payload ?? null;
      return {
        type: b.type,
        text: b.text,
        payload: payload ?? (b.type === "QUICK_REPLY" ? b.text : null),
        url: b.url,
      };
    }),
  };
}
