/**
 * Authoring-side variable scanning: what an admin typed into a header, body or
 * URL, including the mistakes Meta would reject (mixed kinds, gaps, bad names,
 * stray braces). The send side (which values a stored template needs) lives in
 * lib/whatsapp/template-params.ts; both read `{{…}}` the same way. Pure.
 */

/** `positional` ({{1}}), `named` ({{first_name}}), `mixed` (both — Meta refuses), or `none`. */
export type VariableKind = "none" | "positional" | "named" | "mixed";

export type VariableScan = {
  kind: VariableKind;
  /** Distinct variable names in order of first appearance ("1", "first_name"). */
  names: string[];
  /** Every well-formed occurrence with its character offsets, for start/end and placement rules. */
  occurrences: Array<{ name: string; start: number; end: number }>;
  /** Tokens between double braces that are not a valid variable, as written (e.g. "{{First Name}}"). */
  invalid: string[];
  /** True when a `{{` or `}}` is left over that belongs to no variable (e.g. "{{1}" or "}}"). */
  strayBraces: boolean;
};

const TOKEN_RE = /\{\{([^{}]*)\}\}/g;
const POSITIONAL_RE = /^[1-9][0-9]*$/;
/** Meta's named parameters: lowercase letters, digits and underscores, not starting with a digit. */
export const NAMED_VARIABLE_RE = /^[a-z_][a-z0-9_]*$/;

/** Scans `text` for `{{…}}` variables, classifying each and flagging malformed ones. */
export function scanVariables(text: string | null | undefined): VariableScan {
  const source = text ?? "";
  const names: string[] = [];
  const occurrences: VariableScan["occurrences"] = [];
  const invalid: string[] = [];
  let positional = false;
  let named = false;
  for (const m of source.matchAll(TOKEN_RE)) {
    const inner = m[1];
    const start = m.index ?? 0;
    if (POSITIONAL_RE.test(inner)) positional = true;
    else if (NAMED_VARIABLE_RE.test(inner)) named = true;
    else {
      invalid.push(m[0]);
      continue;
    }
    occurrences.push({ name: inner, start, end: start + m[0].length });
    if (!names.includes(inner)) names.push(inner);
  }
  const rest = source.replace(TOKEN_RE, "");
  const kind: VariableKind =
    positional && named ? "mixed" : positional ? "positional" : named ? "named" : "none";
  return { kind, names, occurrences, invalid, strayBraces: rest.includes("{{") || rest.includes("}}") };
}

/**
 * Positional numbers that are missing from a 1..n run (e.g. text uses {{1}} and {{3}} → [2]).
 * Meta requires positional variables to be sequential from {{1}}.
 */
export function missingPositions(names: readonly string[]): number[] {
  const nums = names.filter((n) => POSITIONAL_RE.test(n)).map(Number);
  if (nums.length === 0) return [];
  const max = Math.max(...nums);
  const missing: number[] = [];
  for (let i = 1; i <= max; i++) if (!nums.includes(i)) missing.push(i);
  return missing;
}

/** Sorts variable names the way values are collected: positional numerically, named as written. */
export function orderedVariables(names: readonly string[]): string[] {
  return names.every((n) => POSITIONAL_RE.test(n))
    ? [...names].sort((a, b) => Number(a) - Number(b))
    : [...names];
}
