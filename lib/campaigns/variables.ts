/**
 * Per-recipient template variables for campaigns: each variable of the template is mapped once
 * (from a contact field, a CSV column, or a fixed text) and resolved for every recipient. A
 * recipient whose value comes out empty cannot be sent (Meta rejects blank parameters), so it is
 * excluded with the variable named. Pure.
 */
import { z } from "zod";
import type { HeaderMediaParam, TemplateParamsInput, TemplateVariables } from "../whatsapp/template-params";

export const CONTACT_FIELDS = ["profile_name", "wa_id"] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const variableSourceSchema = z.discriminatedUnion("source", [
  z.object({
    source: z.literal("field"),
    field: z.enum(CONTACT_FIELDS),
    /** Used when the field is empty (e.g. "there" for a contact without a profile name). */
    fallback: z.string().max(200).optional(),
  }),
  z.object({
    source: z.literal("column"),
    column: z.string().min(1).max(200),
    fallback: z.string().max(200).optional(),
  }),
  z.object({ source: z.literal("text"), value: z.string().max(1000) }),
]);
export type VariableSource = z.infer<typeof variableSourceSchema>;

export const variableMappingSchema = z.object({
  /** Body variables by name ("1", "first_name"). */
  body: z.record(z.string(), variableSourceSchema).default({}),
  /** Header text variables by name. */
  header: z.record(z.string(), variableSourceSchema).default({}),
  /** URL button suffixes by the button's index in the template. */
  buttons: z.record(z.string(), variableSourceSchema).default({}),
  /** A header image / video / document, the same for every recipient. */
  headerMedia: z
    .object({
      kind: z.enum(["image", "video", "document"]),
      link: z.string().url(),
      filename: z.string().max(200).optional(),
    })
    .optional(),
});
export type VariableMapping = z.infer<typeof variableMappingSchema>;

/** What one recipient brings: contact fields and (CSV audiences) the row's other columns. */
export type RecipientContext = {
  waId: string;
  profileName: string | null;
  values?: Record<string, string>;
};

export type ResolvedParams = { ok: true; input: TemplateParamsInput } | { ok: false; missing: string[] };

function sourceValue(src: VariableSource, ctx: RecipientContext): string {
  switch (src.source) {
    case "text":
      return src.value.trim();
    case "field": {
      const v = src.field === "wa_id" ? ctx.waId : (ctx.profileName ?? "");
      return v.trim() || (src.fallback ?? "").trim();
    }
    case "column":
      return (ctx.values?.[src.column] ?? "").trim() || (src.fallback ?? "").trim();
  }
}

/** A mapping's problems against a template and the available CSV columns; empty when usable. */
export function mappingProblems(
  vars: TemplateVariables,
  mapping: VariableMapping,
  columns: readonly string[] | null,
): string[] {
  const problems: string[] = [];
  const check = (where: string, name: string, src: VariableSource | undefined) => {
    const label = where === "button" ? `the URL of button ${Number(name) + 1}` : `${where} {{${name}}}`;
    if (!src) problems.push(`Choose a value for ${label}.`);
    else if (src.source === "column" && !columns) {
      problems.push(`${label} comes from a CSV column, but the audience is not a CSV upload.`);
    } else if (src.source === "column" && columns && !columns.includes(src.column)) {
      problems.push(`${label} comes from column "${src.column}", which the file does not have.`);
    } else if (src.source === "text" && src.value.trim() === "") {
      problems.push(`Type a value for ${label}.`);
    }
  };
  for (const n of vars.header) check("header", n, mapping.header[n]);
  for (const n of vars.body) check("body", n, mapping.body[n]);
  for (const b of vars.buttons) check("button", String(b.index), mapping.buttons[String(b.index)]);
  if (vars.headerMedia && !mapping.headerMedia) {
    problems.push(`This template's header needs a ${vars.headerMedia}: give its public https link.`);
  } else if (vars.headerMedia && mapping.headerMedia && mapping.headerMedia.kind !== vars.headerMedia) {
    problems.push(`This template's header needs a ${vars.headerMedia}, not a ${mapping.headerMedia.kind}.`);
  }
  return problems;
}

/**
 * One recipient's send parameters (by variable name, which the send service accepts for both
 * positional and named templates), or the variables that came out empty.
 */
export function resolveParams(
  vars: TemplateVariables,
  mapping: VariableMapping,
  ctx: RecipientContext,
): ResolvedParams {
  const missing: string[] = [];
  const fill = (where: string, names: readonly string[], sources: Record<string, VariableSource>) => {
    const out: Record<string, string> = {};
    for (const n of names) {
      const src = sources[n];
      const v = src ? sourceValue(src, ctx) : "";
      if (v === "") missing.push(where === "button" ? `button ${Number(n) + 1}` : `${where} {{${n}}}`);
      // Meta refuses line breaks, tabs and long space runs in text parameters (132018).
      else out[n] = v.replace(/[\r\n\t]+/g, " ").replace(/ {5,}/g, "    ");
    }
    return out;
  };
  const header = fill("header", vars.header, mapping.header);
  const body = fill("body", vars.body, mapping.body);
  const buttons = fill(
    "button",
    vars.buttons.map((b) => String(b.index)),
    mapping.buttons,
  );
  if (missing.length > 0) return { ok: false, missing };
  const input: TemplateParamsInput = {};
  if (vars.body.length > 0) input.params = body;
  if (vars.header.length > 0) input.headerParams = header;
  if (vars.buttons.length > 0) input.buttonParams = buttons;
  if (vars.headerMedia && mapping.headerMedia) {
    const m: HeaderMediaParam = { kind: mapping.headerMedia.kind, link: mapping.headerMedia.link };
    if (mapping.headerMedia.filename) m.filename = mapping.headerMedia.filename;
    input.headerMedia = m;
  }
  return { ok: true, input };
}

/** A mapping that fills every variable with the contact's name (the usual first variable) or nothing. */
export function defaultMapping(vars: TemplateVariables): VariableMapping {
  const mapping: VariableMapping = { body: {}, header: {}, buttons: {} };
  const first = vars.body[0];
  if (first !== undefined) {
    mapping.body[first] = { source: "field", field: "profile_name", fallback: "there" };
  }
  return mapping;
}
