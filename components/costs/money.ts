/**
 * Money from integer micro-units, exactly: no float ever touches a sum. Pure; shared by the
 * dashboard (server and client), the CSV export and the price editor.
 */

const SYMBOLS: Record<string, string> = { USD: "US$", BRL: "R$", EUR: "€", GBP: "£" };

function split(micros: number | bigint): { neg: boolean; units: bigint; frac: string } {
  const v = BigInt(micros);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  return { neg, units: abs / 1_000_000n, frac: (abs % 1_000_000n).toString().padStart(6, "0") };
}

/** `62500` → `"0.062500"`: the exact decimal amount in currency units (6 places), for CSV. */
export function microsToDecimal(micros: number | bigint): string {
  const { neg, units, frac } = split(micros);
  return `${neg ? "-" : ""}${units}.${frac}`;
}

/**
 * `62500` → `US$0.0625`, `8000` → `US$0.0080`, `1234500000` → `US$1,234.50`: amounts under one
 * unit keep 4 decimals (as Meta's rate cards print them), others 2; more only when needed (up to 6),
 * so a sum is shown exactly. `estimate` rounds to cents (or 4 decimals under one unit) instead.
 */
export function formatMoney(
  micros: number | bigint,
  currency = "USD",
  opts: { estimate?: boolean } = {},
): string {
  let v = BigInt(micros);
  if (opts.estimate) {
    // An estimate shows no false precision: cents from one unit up, else 4 decimals (half away from zero).
    const step = (v < 0n ? -v : v) >= 1_000_000n ? 10_000n : 100n;
    const half = v < 0n ? -step / 2n : step / 2n;
    v = ((v + half) / step) * step;
  }
  const { neg, units, frac } = split(v);
  const minDigits = units === 0n && v !== 0n ? 4 : 2;
  let digits = frac.replace(/0+$/, "");
  if (digits.length < minDigits) digits = frac.slice(0, minDigits);
  const grouped = units.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  return `${neg ? "-" : ""}${symbol}${grouped}.${digits}`;
}

/**
 * Parses an amount typed in currency units (`0.0625`, `US$0.0625`; `.` as the decimal separator, up
 * to 6 decimals) into integer micros, without floats. Null when it is not a non-negative decimal.
 */
export function parseMoneyToMicros(input: string): number | null {
  const s = input.trim().replace(/^US\$\s*|^\$\s*/i, "");
  const m = /^(\d{1,9})(?:\.(\d{0,6}))?$/.exec(s);
  if (!m) return null;
  const micros = BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0") || "0");
  return Number(micros);
}

/** Integer share `part / whole` in basis points (0–10,000), for bars and percentages. */
export function shareBps(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Number((BigInt(part) * 10_000n) / BigInt(whole));
}
