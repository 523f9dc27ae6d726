import type { Translate } from "../i18n/translate";

/**
 * The window label on every thread row and in the conversation header:
 * `23h 12m left`, `closes in 18m` (warning under an hour), `window closed`,
 * and `FEP 71h left` while a free entry point is open. Pure: `now` is given.
 */
export type WindowTone = "open" | "warning" | "closed";

export type CswLabel = {
  text: string;
  tone: WindowTone /** ms until the label text next changes, or null */;
  nextChangeMs: number | null;
};

const MIN = 60_000;
const HOUR = 60 * MIN;

function toMs(v: Date | string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : typeof v === "number" ? v : Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

/** Below this much time left the label turns to a warning (ms). */
export const WARNING_MS = HOUR;

/**
 * Label for the customer service window. Time left is floored (never promises
 * more than there is): 23h 59m 59s → `23h 59m left`; under a minute it counts
 * seconds, so the label reaches `window closed` exactly at expiry.
 */
export function cswLabel(
  expiresAt: Date | string | number | null | undefined,
  now: number,
  t: Translate,
): CswLabel {
  const exp = toMs(expiresAt);
  if (exp === null || exp <= now) return { text: t("window.closed"), tone: "closed", nextChangeMs: null };
  const left = exp - now;
  if (left < MIN) {
    const s = Math.floor(left / 1000);
    return {
      text: t("window.closesInSeconds", { s: Math.max(s, 0) }),
      tone: "warning",
      nextChangeMs: left - s * 1000 || 1000,
    };
  }
  const totalMin = Math.floor(left / MIN);
  const untilNext = left - totalMin * MIN || MIN;
  if (left < WARNING_MS)
    return { text: t("window.closesIn", { m: totalMin }), tone: "warning", nextChangeMs: untilNext };
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  return {
    text: m === 0 ? t("window.leftHours", { h }) : t("window.left", { h, m }),
    tone: "open",
    nextChangeMs: untilNext,
  };
}

/** Label for an open free entry point (`FEP 71h left`), or null when none is open. */
export function fepLabel(
  expiresAt: Date | string | number | null | undefined,
  now: number,
  t: Translate,
): string | null {
  const exp = toMs(expiresAt);
  if (exp === null || exp <= now) return null;
  const left = exp - now;
  if (left >= HOUR) return t("window.fepLeft", { h: Math.floor(left / HOUR) });
  return t("window.fepLeftMinutes", { m: Math.max(1, Math.floor(left / MIN)) });
}

/** Whether the CSW allows free text at `now` (the composer's lock uses this, the server decides for real). */
export function cswOpenAt(expiresAt: Date | string | number | null | undefined, now: number): boolean {
  const exp = toMs(expiresAt);
  return exp !== null && now < exp;
}
