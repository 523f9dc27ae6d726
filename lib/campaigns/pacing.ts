/**
 * Campaign pacing: a token bucket at the campaign's messages-per-second, slowed multiplicatively
 * when Meta answers 130429 (throughput exceeded) and recovering additively while it does not
 * (AIMD, as TCP does), plus a cap on messages handed to the outbox but not yet accepted, so a
 * backlog of retries stops new sends instead of piling up behind them. Pure: state in, state out.
 */

export type Pacer = {
  /** The campaign's configured messages per second (Meta's default per number: 80). */
  maxRate: number;
  /** Current allowed rate, messages per second: maxRate unless throttled. */
  rate: number;
  /** Sends allowed now (fractional). */
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
  /** Epoch ms of the last rate change: the rate moves at most once per ADJUST_EVERY_MS. */
  adjustedAt: number;
};

/** Slowest pace a throttled campaign drops to (messages per second). */
export const MIN_RATE = 1;
/** The bucket holds at most this many seconds of sends, so a pause is not followed by a burst. */
const BURST_SECONDS = 1;
/** Rounds run several times a second; the rate reacts once per second so one burst of 130429s halves it once. */
export const ADJUST_EVERY_MS = 1000;

export function newPacer(maxRate: number, now: number): Pacer {
  const r = Math.max(MIN_RATE, maxRate);
  return { maxRate: r, rate: r, tokens: 0, at: now, adjustedAt: now };
}

/** Adds the tokens earned since the last refill at the current rate. */
export function refill(p: Pacer, now: number): Pacer {
  const elapsed = Math.max(0, now - p.at) / 1000;
  return { ...p, tokens: Math.min(p.rate * BURST_SECONDS, p.tokens + elapsed * p.rate), at: now };
}

/**
 * Adjusts the rate at `now` (epoch ms), at most once per ADJUST_EVERY_MS: halves it (down to
 * MIN_RATE) and empties the bucket while messages wait on a 130429 retry; otherwise grows it by
 * a tenth of the configured rate, up to that rate.
 */
export function adjust(p: Pacer, throttled: boolean, now: number): Pacer {
  if (now - p.adjustedAt < ADJUST_EVERY_MS) return p;
  if (throttled) return { ...p, rate: Math.max(MIN_RATE, p.rate / 2), tokens: 0, adjustedAt: now };
  if (p.rate >= p.maxRate) return { ...p, adjustedAt: now };
  return { ...p, rate: Math.min(p.maxRate, p.rate + Math.max(1, p.maxRate / 10)), adjustedAt: now };
}

/**
 * How many recipients to hand to the outbox now: the whole tokens in the bucket, limited so that
 * at most two seconds' worth of messages are waiting for Meta's acceptance at any time.
 */
export function budget(p: Pacer, inFlight: number): number {
  const cap = Math.max(1, Math.ceil(p.rate * 2)) - inFlight;
  return Math.max(0, Math.min(Math.floor(p.tokens), cap));
}

/** Takes `n` tokens after sending `n` messages. */
export function spend(p: Pacer, n: number): Pacer {
  return { ...p, tokens: Math.max(0, p.tokens - n) };
}
