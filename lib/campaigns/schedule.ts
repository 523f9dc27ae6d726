/**
 * Campaign schedules are typed as wall-clock time in the workspace's timezone ("2025-06-02
 * 09:00" in America/Sao_Paulo) and stored as instants. Pure: uses only Intl's timezone data.
 */

/** Offset of `timeZone` from UTC at instant `ms` (epoch ms), in ms (e.g. -3 h for São Paulo). */
function zoneOffsetMs(timeZone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

export type ZonedResult = { ok: true; at: Date } | { ok: false; message: string };

/**
 * The instant of local wall-clock time `local` ("YYYY-MM-DDTHH:mm", as an
 * `<input type="datetime-local">` gives it) in `timeZone`. A time skipped by a daylight-saving
 * jump resolves to the instant after the jump.
 */
export function zonedTimeToUtc(local: string, timeZone: string): ZonedResult {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return { ok: false, message: "Give the date and time as YYYY-MM-DD HH:mm." };
  if (!isValidTimeZone(timeZone)) return { ok: false, message: `Unknown timezone "${timeZone}".` };
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59) {
    return { ok: false, message: "That date does not exist." };
  }
  // The offsets in force half a day before and after cover any transition near this time.
  const before = zoneOffsetMs(timeZone, wall - 12 * 3600_000);
  const after = zoneOffsetMs(timeZone, wall + 12 * 3600_000);
  const valid = [wall - before, wall - after].filter((t) => t + zoneOffsetMs(timeZone, t) === wall);
  // Ambiguous (clocks fall back): the first occurrence. Skipped (clocks jump forward): the
  // pre-jump offset, which lands just after the jump (02:30 → 03:30 on a spring-forward night).
  const at = valid.length > 0 ? Math.min(...valid) : wall - before;
  return { ok: true, at: new Date(at) };
}

/** Instant → "YYYY-MM-DDTHH:mm" wall-clock time in `timeZone` (for a datetime-local input). */
export function utcToZonedInput(at: Date, timeZone: string): string {
  const local = new Date(at.getTime() + zoneOffsetMs(timeZone, at.getTime()));
  return local.toISOString().slice(0, 16);
}
