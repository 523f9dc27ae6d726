import { describe, expect, it } from "vitest";
import { getDictionary, translator } from "@/lib/i18n/translate";
import { cswLabel, cswOpenAt, fepLabel } from "@/lib/ui-format/countdown";

const en = translator(getDictionary("en"));
const pt = translator(getDictionary("pt-BR"));
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const now = Date.parse("2025-11-25T12:00:00Z");
const at = (ms: number) => new Date(now + ms).toISOString();

describe("cswLabel — the window label on every thread row", () => {
  it.each([
    ["a customer who never wrote", null, "window closed", "closed"],
    ["expired an hour ago", at(-H), "window closed", "closed"],
    ["expiring exactly now (half-open window)", at(0), "window closed", "closed"],
    ["1 ms left", at(1), "closes in 0s", "warning"],
    ["30 s left", at(30 * S), "closes in 30s", "warning"],
    ["59.9 s left", at(59_900), "closes in 59s", "warning"],
    ["exactly 1 min left", at(M), "closes in 1m", "warning"],
    ["18 min 40 s left", at(18 * M + 40 * S), "closes in 18m", "warning"],
    ["59 min 59 s left: still a warning", at(H - S), "closes in 59m", "warning"],
    ["exactly 1 h left", at(H), "1h left", "open"],
    ["23 h 12 min 30 s left", at(23 * H + 12 * M + 30 * S), "23h 12m left", "open"],
    ["just after the customer wrote (never rounds up)", at(24 * H - 1), "23h 59m left", "open"],
    ["a full 24 h", at(24 * H), "24h left", "open"],
  ] as const)("%s → %s", (_label, expires, text, tone) => {
    const l = cswLabel(expires, now, en);
    expect(l.text).toBe(text);
    expect(l.tone).toBe(tone);
  });

  it("accepts Dates, ISO strings and epoch ms alike", () => {
    const ms = now + 2 * H + 5 * M;
    expect(cswLabel(new Date(ms), now, en).text).toBe("2h 5m left");
    expect(cswLabel(new Date(ms).toISOString(), now, en).text).toBe("2h 5m left");
    expect(cswLabel(ms, now, en).text).toBe("2h 5m left");
  });

  it("treats an unparseable instant as no window", () => {
    expect(cswLabel("not a date", now, en)).toMatchObject({ text: "window closed", tone: "closed" });
  });

  it("says when the text next changes, so timers can be exact", () => {
    expect(cswLabel(at(23 * H + 12 * M + 30 * S), now, en).nextChangeMs).toBe(30 * S);
    expect(cswLabel(at(10 * M), now, en).nextChangeMs).toBe(M);
    expect(cswLabel(at(30 * S + 250), now, en).nextChangeMs).toBe(250);
    expect(cswLabel(at(-1), now, en).nextChangeMs).toBeNull();
  });

  it("counts down as time passes, reaching `window closed` exactly at expiry", () => {
    const expires = now + 61 * S;
    const texts = [0, 1, 2, 60, 61].map((s) => cswLabel(expires, now + s * S, en).text);
    expect(texts).toEqual(["closes in 1m", "closes in 1m", "closes in 59s", "closes in 1s", "window closed"]);
  });

  it("speaks Brazilian Portuguese", () => {
    expect(cswLabel(at(23 * H + 12 * M), now, pt).text).toBe("faltam 23h 12min");
    expect(cswLabel(at(18 * M), now, pt).text).toBe("fecha em 18min");
    expect(cswLabel(at(-1), now, pt).text).toBe("janela fechada");
  });
});

describe("fepLabel — the free entry point badge", () => {
  it.each([
    ["no FEP", null, null],
    ["ended", at(-S), null],
    ["ends exactly now", at(0), null],
    ["a fresh 72 h FEP (never rounds up)", at(72 * H - 1), "FEP 71h left"],
    ["71 h 59 min", at(71 * H + 59 * M), "FEP 71h left"],
    ["1 h", at(H), "FEP 1h left"],
    ["30 min", at(30 * M), "FEP 30m left"],
    ["20 s: at least a minute is shown", at(20 * S), "FEP 1m left"],
  ] as const)("%s → %s", (_label, expires, text) => {
    expect(fepLabel(expires, now, en)).toBe(text);
  });

  it("speaks Brazilian Portuguese", () => {
    expect(fepLabel(at(50 * H), now, pt)).toBe("FEP: faltam 50h");
  });
});

describe("cswOpenAt — what locks the composer on the client", () => {
  it("is open strictly before expiry and closed from expiry on", () => {
    expect(cswOpenAt(at(1), now)).toBe(true);
    expect(cswOpenAt(at(0), now)).toBe(false);
    expect(cswOpenAt(null, now)).toBe(false);
  });
});
