import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signPayload, verifySignature } from "../../lib/whatsapp/signature";

const secret = "unit-test-app-secret";
const raw = Buffer.from(
  readFileSync(path.resolve(import.meta.dirname, "../fixtures/meta/inbound-reaction.json"), "utf8"),
);

afterEach(() => vi.restoreAllMocks());

describe("webhook signature", () => {
  it("accepts Meta's header for the exact raw bytes", () => {
    const header = signPayload(raw, secret);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(raw, header, secret)).toEqual({ ok: true });
    // Hex case and surrounding whitespace do not matter.
    const upper = `sha256=${header.slice("sha256=".length).toUpperCase()}`;
    expect(verifySignature(raw, ` ${upper} `, secret)).toEqual({ ok: true });
  });

  it("is computed over raw bytes: re-serialised JSON (escapes undone) does not verify", () => {
    const header = signPayload(raw, secret);
    expect(raw.toString()).toContain("\\ud83d\\udc4d"); // Meta's escaped-unicode form
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString())));
    expect(verifySignature(reserialised, header, secret)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a body with one tampered byte, and the wrong secret", () => {
    const header = signPayload(raw, secret);
    for (const i of [0, Math.floor(raw.length / 2), raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[i] ^= 0x01;
      expect(verifySignature(tampered, header, secret)).toEqual({ ok: false, reason: "mismatch" });
    }
    expect(verifySignature(raw, header, "another-secret")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects missing, wrongly prefixed, wrong-length and non-hex headers without comparing", () => {
    const spy = vi.spyOn(crypto, "timingSafeEqual");
    const hex = signPayload(raw, secret).slice("sha256=".length);
    expect(verifySignature(raw, null, secret)).toEqual({ ok: false, reason: "missing" });
    expect(verifySignature(raw, "", secret)).toEqual({ ok: false, reason: "missing" });
    expect(verifySignature(raw, `sha1=${hex}`, secret)).toEqual({ ok: false, reason: "malformed" });
    expect(verifySignature(raw, hex, secret)).toEqual({ ok: false, reason: "malformed" });
    expect(verifySignature(raw, `sha256=${hex.slice(2)}`, secret)).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(verifySignature(raw, `sha256=${hex}00`, secret)).toEqual({ ok: false, reason: "malformed" });
    // Buffer.from(hex) would silently drop the bad digits: must be refused, not compared.
    expect(verifySignature(raw, `sha256=${"zz"}${hex.slice(2)}`, secret)).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it("compares same-length digests with crypto.timingSafeEqual (constant time)", () => {
    const spy = vi.spyOn(crypto, "timingSafeEqual");
    const wrong = `sha256=${"0".repeat(64)}`;
    expect(verifySignature(raw, wrong, secret)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifySignature(raw, signPayload(raw, secret), secret)).toEqual({ ok: true });
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
  });
});
