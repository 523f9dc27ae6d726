/**
 * A template as the admin's form holds it (the "draft"), and its conversions:
 * to the body of Meta's `POST /{waba-id}/message_templates`, to the components
 * we store (what Meta's GET returns, so rendering and sending read one shape),
 * and back from stored components for editing. Pure.
 */
import { z } from "zod";
import type { StoredTemplateComponent } from "../whatsapp/template-params";
import { orderedVariables, scanVariables } from "./variables";

export const META_TEMPLATE_CATEGORIES = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;
export type MetaTemplateCategory = (typeof META_TEMPLATE_CATEGORIES)[number];

export const HEADER_FORMATS = ["NONE", "TEXT", "IMAGE", "VIDEO", "DOCUMENT"] as const;
export type HeaderFormat = (typeof HEADER_FORMATS)[number];

export const BUTTON_TYPES = ["QUICK_REPLY", "URL", "PHONE_NUMBER"] as const;
export type ButtonType = (typeof BUTTON_TYPES)[number];

/**
 * Loose shape of a draft as it arrives from a form. Lengths here only bound the
 * payload; Meta's rules (and their messages) are in validate.ts.
 */
export const templateDraftSchema = z.object({
  name: z.string().max(2000),
  language: z.string().max(20),
  category: z.enum(META_TEMPLATE_CATEGORIES),
  header: z.object({
    format: z.enum(HEADER_FORMATS),
    text: z.string().max(2000).default(""),
    /** Example value of the header's one variable. */
    example: z.string().max(2000).default(""),
    /** Sample media for an image/video/document header: an upload handle or a public https URL. */
    mediaSample: z.string().max(4000).default(""),
  }),
  body: z.object({
    text: z.string().max(5000),
    /** Example value per variable name ("1", "first_name"). */
    examples: z.record(z.string().max(200), z.string().max(2000)).default({}),
  }),
  footer: z.object({ text: z.string().max(2000).default("") }),
  buttons: z
    .array(
      z.object({
        type: z.enum(BUTTON_TYPES),
        text: z.string().max(2000).default(""),
        url: z.string().max(4000).default(""),
        /** Example value for the URL's variable (the part that replaces {{1}}). */
        example: z.string().max(2000).default(""),
        phoneNumber: z.string().max(100).default(""),
      }),
    )
    .max(50)
    .default([]),
  /** AUTHENTICATION templates have no free text: Meta writes the body from these settings. */
  auth: z
    .object({
      securityRecommendation: z.boolean().default(true),
      codeExpirationMinutes: z.number().int().nullable().default(10),
      buttonText: z.string().max(2000).default("Copy code"),
    })
    .default({ securityRecommendation: true, codeExpirationMinutes: 10, buttonText: "Copy code" }),
});

export type TemplateDraft = z.infer<typeof templateDraftSchema>;
export type ButtonDraft = TemplateDraft["buttons"][number];

export function emptyDraft(language = "en_US"): TemplateDraft {
  return {
    name: "",
    language,
    category: "UTILITY",
    header: { format: "NONE", text: "", example: "", mediaSample: "" },
    body: { text: "", examples: {} },
    footer: { text: "" },
    buttons: [],
    auth: { securityRecommendation: true, codeExpirationMinutes: 10, buttonText: "Copy code" },
  };
}

/** The body Meta expects on `POST /{waba-id}/message_templates` (and, minus name/language, on edit). */
export type MetaTemplateCreate = {
  name: string;
  language: string;
  category: MetaTemplateCategory;
  parameter_format?: "POSITIONAL" | "NAMED";
  components: Array<Record<string, unknown>>;
};

/** The text Meta writes into every authentication template (English). */
export const AUTH_BODY_TEXT = "*{{1}}* is your verification code.";
export const AUTH_SECURITY_TEXT = " For your security, do not share this code.";
/** The URL Meta gives a copy-code button; its variable carries the code when sending. */
export const AUTH_COPY_CODE_URL = "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}";

const isNamedDraft = (d: TemplateDraft) =>
  scanVariables(d.body.text).kind === "named" ||
  (d.header.format === "TEXT" && scanVariables(d.header.text).kind === "named");

/** The URL with its variable replaced by the example (Meta wants the full example URL). */
export function exampleUrl(url: string, example: string): string {
  return url.replace(/\{\{[^{}]*\}\}/, example);
}

/** Meta's create body for a draft. Call only with a draft that passed validateTemplateDraft. */
export function toMetaCreate(d: TemplateDraft): MetaTemplateCreate {
  const base = { name: d.name, language: d.language, category: d.category };
  if (d.category === "AUTHENTICATION") {
    const footer =
      d.auth.codeExpirationMinutes !== null
        ? [{ type: "FOOTER", code_expiration_minutes: d.auth.codeExpirationMinutes }]
        : [];
    return {
      ...base,
      components: [
        { type: "BODY", add_security_recommendation: d.auth.securityRecommendation },
        ...footer,
        { type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: d.auth.buttonText }] },
      ],
    };
  }
  const named = isNamedDraft(d);
  const components: Array<Record<string, unknown>> = [];

  if (d.header.format === "TEXT") {
    const vars = scanVariables(d.header.text).names;
    const header: Record<string, unknown> = { type: "HEADER", format: "TEXT", text: d.header.text };
    if (vars.length > 0) {
      header.example = named
        ? { header_text_named_params: [{ param_name: vars[0], example: d.header.example }] }
        : { header_text: [d.header.example] };
    }
    components.push(header);
  } else if (d.header.format !== "NONE") {
    components.push({
      type: "HEADER",
      format: d.header.format,
      example: { header_handle: [d.header.mediaSample] },
    });
  }

  const bodyVars = orderedVariables(scanVariables(d.body.text).names);
  const body: Record<string, unknown> = { type: "BODY", text: d.body.text };
  if (bodyVars.length > 0) {
    body.example = named
      ? {
          body_text_named_params: bodyVars.map((n) => ({ param_name: n, example: d.body.examples[n] ?? "" })),
        }
      : { body_text: [bodyVars.map((n) => d.body.examples[n] ?? "")] };
  }
  components.push(body);

  if (d.footer.text.trim() !== "") components.push({ type: "FOOTER", text: d.footer.text });

  if (d.buttons.length > 0) {
    components.push({
      type: "BUTTONS",
      buttons: d.buttons.map((b) => {
        if (b.type === "URL") {
          const hasVar = scanVariables(b.url).names.length > 0;
          return {
            type: "URL",
            text: b.text,
            url: b.url,
            ...(hasVar ? { example: [exampleUrl(b.url, b.example)] } : {}),
          };
        }
        if (b.type === "PHONE_NUMBER")
          return { type: "PHONE_NUMBER", text: b.text, phone_number: b.phoneNumber };
        return { type: "QUICK_REPLY", text: b.text };
      }),
    });
  }
  return { ...base, parameter_format: named ? "NAMED" : "POSITIONAL", components };
}

/**
 * The components we store for a draft: the shape Meta's GET returns, so the
 * preview, the agents' picker and the send service read one format. Identical
 * to the create components except for authentication templates, whose text
 * Meta writes itself.
 */
export function toStoredComponents(d: TemplateDraft): StoredTemplateComponent[] {
  if (d.category !== "AUTHENTICATION") return toMetaCreate(d).components as StoredTemplateComponent[];
  return authComponents(d.auth.securityRecommendation, d.auth.codeExpirationMinutes, d.auth.buttonText);
}

function authComponents(
  securityRecommendation: boolean,
  minutes: number | null,
  buttonText: string,
): StoredTemplateComponent[] {
  const out: StoredTemplateComponent[] = [
    {
      type: "BODY",
      text: AUTH_BODY_TEXT + (securityRecommendation ? AUTH_SECURITY_TEXT : ""),
      add_security_recommendation: securityRecommendation,
      example: { body_text: [["123456"]] },
    },
  ];
  if (minutes !== null) {
    out.push({
      type: "FOOTER",
      text: `This code expires in ${minutes} minutes.`,
      code_expiration_minutes: minutes,
    });
  }
  const copyCode = {
    type: "URL",
    text: buttonText,
    url: AUTH_COPY_CODE_URL,
    example: [exampleUrl(AUTH_COPY_CODE_URL, "123456")],
  };
  out.push({ type: "BUTTONS", buttons: [copyCode] });
  return out;
}

/**
 * Normalises components as Meta (or the simulator) returns them before we store
 * them: an authentication template listed in its create form (no body text, an
 * OTP button) gets the text and copy-code URL Meta shows for it.
 */
export function storedComponentsFromMeta(
  category: string,
  components: readonly StoredTemplateComponent[],
): StoredTemplateComponent[] {
  if (category.toUpperCase() !== "AUTHENTICATION") return [...components];
  const body = components.find((c) => c.type?.toUpperCase() === "BODY");
  const buttons = components.find((c) => c.type?.toUpperCase() === "BUTTONS")?.buttons ?? [];
  const hasOtpButton = buttons.some((b) => b.type?.toUpperCase() === "OTP");
  if (body?.text && !hasOtpButton) return [...components];
  const footer = components.find((c) => c.type?.toUpperCase() === "FOOTER");
  const minutes = typeof footer?.code_expiration_minutes === "number" ? footer.code_expiration_minutes : null;
  const otp = buttons.find((b) => b.type?.toUpperCase() === "OTP");
  return authComponents(body?.add_security_recommendation === true, minutes, otp?.text ?? "Copy code");
}

type Example = Record<string, unknown> | undefined;

function bodyExamples(c: StoredTemplateComponent | undefined, vars: string[]): Record<string, string> {
  const ex = c?.example as Example;
  const out: Record<string, string> = {};
  const named = ex?.body_text_named_params as Array<{ param_name: string; example: string }> | undefined;
  if (Array.isArray(named)) for (const p of named) out[p.param_name] = String(p.example ?? "");
  const positional = (ex?.body_text as string[][] | undefined)?.[0];
  if (Array.isArray(positional)) {
    orderedVariables(vars).forEach((v, i) => {
      if (positional[i] !== undefined) out[v] = String(positional[i]);
    });
  }
  return out;
}

function headerExample(c: StoredTemplateComponent | undefined): string {
  const ex = c?.example as Example;
  const named = ex?.header_text_named_params as Array<{ example: string }> | undefined;
  if (Array.isArray(named) && named[0]) return String(named[0].example ?? "");
  const positional = ex?.header_text as string[] | undefined;
  return Array.isArray(positional) && positional[0] !== undefined ? String(positional[0]) : "";
}

/** The example value of a URL button's variable, recovered from Meta's full example URL. */
function urlExample(url: string, example: unknown): string {
  const full = Array.isArray(example) ? String(example[0] ?? "") : "";
  const at = url.search(/\{\{[^{}]*\}\}/);
  if (at < 0 || !full.startsWith(url.slice(0, at))) return "";
  return full.slice(at);
}

/** A draft for the edit form, from a stored template. */
export function draftFromTemplate(t: {
  name: string;
  language: string;
  category: string;
  components: readonly StoredTemplateComponent[];
}): TemplateDraft {
  const d = emptyDraft(t.language);
  d.name = t.name;
  const category = t.category.toUpperCase();
  d.category = (META_TEMPLATE_CATEGORIES as readonly string[]).includes(category)
    ? (category as MetaTemplateCategory)
    : "UTILITY";
  const find = (type: string) => t.components.find((c) => c.type?.toUpperCase() === type);
  const header = find("HEADER");
  const body = find("BODY");
  const footer = find("FOOTER");
  const buttons = find("BUTTONS")?.buttons ?? [];

  if (d.category === "AUTHENTICATION") {
    const minutes = footer?.code_expiration_minutes;
    d.auth = {
      securityRecommendation: body?.add_security_recommendation === true,
      codeExpirationMinutes: typeof minutes === "number" ? minutes : null,
      buttonText: buttons[0]?.text ?? "Copy code",
    };
    return d;
  }

  if (header) {
    const format = (header.format?.toUpperCase() ?? "TEXT") as HeaderFormat;
    d.header.format = (HEADER_FORMATS as readonly string[]).includes(format) ? format : "NONE";
    d.header.text = header.text ?? "";
    d.header.example = headerExample(header);
    const handle = (header.example as Example)?.header_handle;
    d.header.mediaSample = Array.isArray(handle) ? String(handle[0] ?? "") : "";
  }
  d.body.text = body?.text ?? "";
  d.body.examples = bodyExamples(body, scanVariables(body?.text).names);
  d.footer.text = footer?.text ?? "";
  d.buttons = buttons.map((b) => {
    const type = b.type?.toUpperCase();
    if (type === "URL") {
      const url = b.url ?? "";
      return {
        type: "URL",
        text: b.text ?? "",
        url,
        example: urlExample(url, (b as { example?: unknown }).example),
        phoneNumber: "",
      };
    }
    if (type === "PHONE_NUMBER") {
      return {
        type: "PHONE_NUMBER",
        text: b.text ?? "",
        url: "",
        example: "",
        phoneNumber: b.phone_number ?? "",
      };
    }
    return { type: "QUICK_REPLY", text: b.text ?? "", url: "", example: "", phoneNumber: "" };
  });
  return d;
}
