/**
 * Money and instants as the UI writes them, in the user's locale and time zone. Pure.
 */

/** Micro-units → `US$0.0625` (en) / `US$ 0,0625` (pt-BR). Sub-unit prices keep 4 decimals, as Meta's rate cards do. */
export function formatMicros(micros: number, currency: string, locale: string): string {
  const value = micros / 1_000_000;
  const digits = Math.abs(value) < 1 && micros !== 0 ? 4 : 2;
  const num = new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: Math.max(digits, 6),
  }).format(value);
  const symbol = currency === "USD" ? "US$" : currency === "BRL" ? "R$" : `${currency} `;
  const sep = locale.startsWith("pt") && !symbol.endsWith(" ") ? " " : "";
  return `${symbol}${sep}${num}`;
}

function safeZone(timeZone: string | null | undefined): string | undefined {
  if (!timeZone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return timeZone;
  } catch {
    return undefined;
  }
}

function dayKey(d: Date, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(d);
}

/** `14:32` when `at` falls on the same local day as `now`, else `26 Nov, 14:32` (24-hour clock in every locale). */
export function formatClock(at: Date | string, now: Date, locale: string, timeZone?: string | null): string {
  const d = typeof at === "string" ? new Date(at) : at;
  const tz = safeZone(timeZone);
  const time = new Intl.DateTimeFormat(locale, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: tz,
  }).format(d);
  if (dayKey(d, tz) === dayKey(now, tz)) return time;
  const date = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: tz }).format(d);
  return `${date}, ${time}`;
}

/** Full date and time with seconds, for exact expiries in the details pane. */
export function formatExact(at: Date | string, locale: string, timeZone?: string | null): string {
  const d = typeof at === "string" ? new Date(at) : at;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "medium",
    hourCycle: "h23",
    timeZone: safeZone(timeZone),
  }).format(d);
}

/** The local calendar day of an instant (`2025-11-25`), for day separators. */
export function localDay(at: Date | string, timeZone?: string | null): string {
  return dayKey(typeof at === "string" ? new Date(at) : at, safeZone(timeZone));
}
