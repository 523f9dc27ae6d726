/**
 * Phone numbers → WhatsApp ids. A `wa_id` is the customer's number in international (E.164)
 * form without the `+`: country code then national number, 8 to 15 digits, never starting with 0.
 * People type numbers with spaces, dashes, dots and parentheses, and a leading `+`; those are
 * stripped. Anything else (letters, a `+` in the middle, too few or too many digits, a trunk or
 * exit prefix like `0` / `00`) is refused with a reason the UI can show as is. Pure.
 */

/** E.164 allows at most 15 digits; fewer than 8 is not a real international mobile number. */
export const WA_ID_MIN_DIGITS = 8;
export const WA_ID_MAX_DIGITS = 15;

export type PhoneProblem =
  | "empty"
  | "invalid_characters"
  | "misplaced_plus"
  | "leading_zero"
  | "too_short"
  | "too_long";

export type PhoneResult =
  | { ok: true; waId: string }
  | { ok: false; reason: PhoneProblem; message: string; input: string };

/** Separators people type inside numbers: spaces (incl. non-breaking), dashes, dots, parentheses, slashes. */
const SEPARATORS = /[\s\u00a0\u2000-\u200b\-\u2010-\u2015.()/]/g;

/**
 * Normalises a typed phone number to a wa_id ("+55 (11) 98765-4321" → "5511987654321"), or says
 * what is wrong with it.
 */
export function normalizePhone(input: string | null | undefined): PhoneResult {
  const raw = String(input ?? "");
  const fail = (reason: PhoneProblem, message: string): PhoneResult => ({
    ok: false,
    reason,
    message,
    input: raw,
  });
  const compact = raw.trim().replace(SEPARATORS, "");
  if (compact === "") return fail("empty", "Type a phone number.");

  const plus = compact.startsWith("+");
  const body = plus ? compact.slice(1) : compact;
  if (body.includes("+")) {
    return fail("misplaced_plus", "A “+” may only come first, before the country code.");
  }
  if (!/^\d+$/.test(body)) {
    return fail(
      "invalid_characters",
      "A phone number can only contain digits (spaces, dashes, dots, parentheses and a leading + are fine).",
    );
  }
  if (body.startsWith("0")) {
    // 0 is a national trunk prefix and 00 an exit code: neither is a country code.
    return fail(
      "leading_zero",
      body.startsWith("00")
        ? "Replace the leading 00 with + and keep the country code (e.g. +55 11 98765 4321)."
        : "Type the number in international format, starting with the country code (e.g. +55 11 98765 4321), without a leading 0.",
    );
  }
  if (body.length < WA_ID_MIN_DIGITS) {
    return fail(
      "too_short",
      `Too short for an international number (${body.length} digits; at least ${WA_ID_MIN_DIGITS} with the country code).`,
    );
  }
  if (body.length > WA_ID_MAX_DIGITS) {
    return fail(
      "too_long",
      `Too long for a phone number (${body.length} digits; at most ${WA_ID_MAX_DIGITS} with the country code).`,
    );
  }
  return { ok: true, waId: body };
}

/** Whether `s` already is a normalised wa_id (digits only, valid length, no leading 0). */
export function isWaId(s: string): boolean {
  return /^[1-9]\d*$/.test(s) && s.length >= WA_ID_MIN_DIGITS && s.length <= WA_ID_MAX_DIGITS;
}

/** A wa_id for display: "+5511987654321". */
export function formatWaId(waId: string): string {
  return `+${waId}`;
}
