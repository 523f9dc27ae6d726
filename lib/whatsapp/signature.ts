import crypto from "node:crypto";

/**
 * Meta signs every webhook POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
 * of the raw body keyed with the app secret>`. The raw bytes must be verified,
 * never re-serialised JSON: Meta signs an escaped-unicode form (`\u00e9`, `\/`)
 * that JSON.stringify does not reproduce.
 */
export const SIGNATURE_HEADER = "x-hub-signature-256";
const PREFIX = "sha256=";
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "mismatch" };

/** `sha256=<hex>` for `raw` keyed with `secret`: the header value Meta would send. */
export function signPayload(raw: Buffer | string, secret: string): string {
  return PREFIX + crypto.createHmac("sha256", secret).update(raw).digest("hex");
}

/**
 * Checks a signature header against the raw body in constant time. The header's
 * hex is validated first because Buffer.from(hex) silently drops invalid digits,
 * and the lengths are checked because timingSafeEqual throws on a mismatch.
 */
export function verifySignature(
  raw: Buffer | string,
  header: string | null | undefined,
  secret: string,
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing" };
  const value = header.trim();
  if (!value.toLowerCase().startsWith(PREFIX)) return { ok: false, reason: "malformed" };
  const hex = value.slice(PREFIX.length);
  if (!HEX_SHA256.test(hex)) return { ok: false, reason: "malformed" };
  const given = Buffer.from(hex, "hex");
  const expected = crypto.createHmac("sha256", secret).update(raw).digest();
  if (given.length !== expected.length) return { ok: false, reason: "malformed" };
  return crypto.timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "mismatch" };
}
