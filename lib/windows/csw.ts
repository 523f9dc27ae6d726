/**
 * The customer service window (CSW): 24 hours from the customer's latest
 * message, during which the business may send free-form messages.
 * Pure: every function takes `now` explicitly. See docs/whatsapp-rules.md §1.
 */

/** Length of the customer service window, in milliseconds (24 h). */
export const CSW_MS = 24 * 3600_000;
/** Length of a free entry point (FEP) conversation, in milliseconds (72 h). */
export const FEP_MS = 72 * 3600_000;
/** Length of a marketing / utility / authentication / service conversation, in milliseconds (24 h). */
export const CONVERSATION_MS = 24 * 3600_000;

/**
 * Whether the CSW is open at `now` (epoch ms), given the latest inbound message time (epoch ms).
 * The window is half-open: open iff `now < lastInboundAt + 24h`, so at exactly +24h it is closed
 * (worked example 1: "at 24 it is refused").
 */
export function isCswOpenAt(lastInboundAt: number | null, now: number): boolean {
  return lastInboundAt !== null && now < lastInboundAt + CSW_MS;
}

/** When the CSW that `lastInboundAt` (epoch ms) started ends (epoch ms), or null if the customer never wrote. */
export function cswExpiresAt(lastInboundAt: number | null): number | null {
  return lastInboundAt === null ? null : lastInboundAt + CSW_MS;
}

/**
 * The customer service window at `now`. `expiresAt` is `lastInboundAt + 24h` even when that is in
 * the past (it is then when the window closed), and null only if the customer never wrote.
 */
export function customerServiceWindow(
  lastInboundAt: Date | null,
  now: Date,
): { open: boolean; expiresAt: Date | null } {
  const last = lastInboundAt === null ? null : lastInboundAt.getTime();
  const expires = cswExpiresAt(last);
  return { open: isCswOpenAt(last, now.getTime()), expiresAt: expires === null ? null : new Date(expires) };
}

/**
 * Whether free-form text may be sent now. A refusal carries `closedAt`, when the window closed
 * (null = the customer never wrote, so there never was a window).
 */
export type FreeTextDecision =
  | { freeText: true; expiresAt: Date }
  | { freeText: false; reason: "window_closed"; closedAt: Date | null };

/** Decide whether a free-form message may be sent at `now` (only inside the CSW; an FEP does not unlock it). */
export function freeTextDecision(lastInboundAt: Date | null, now: Date): FreeTextDecision {
  const w = customerServiceWindow(lastInboundAt, now);
  if (w.open && w.expiresAt) return { freeText: true, expiresAt: w.expiresAt };
  return { freeText: false, reason: "window_closed", closedAt: w.expiresAt };
}
