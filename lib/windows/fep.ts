/**
 * Free entry point (FEP) rules: a customer who arrives from a Click-to-WhatsApp ad or a Page
 * call-to-action (the inbound message carries `referral`) and gets a business reply within 24h of
 * that message opens a 72h conversation in which everything is free. See docs/whatsapp-rules.md §2.
 * Pure: `now` is always a parameter.
 */
import { CSW_MS, FEP_MS } from "./csw";

/** Whether an inbound message's `referral` field marks it as coming from an ad / Page CTA. */
export function hasReferral(referral: unknown): boolean {
  if (referral === undefined || referral === null || referral === false) return false;
  return referral === true || typeof referral === "object";
}

/**
 * Whether a business message sent at `sentAt` (epoch ms) is a reply "within the CSW" of some
 * referral message: there is a referral inbound at `r` with `r <= sentAt < r + 24h`.
 * The 24h run from the referral message itself; later non-referral messages restart the CSW but
 * do not stretch the FEP offer. A reply at the very instant of the referral qualifies.
 */
export function isFepQualifyingReply(
  referralAts: readonly number[],
  sentAt: number,
  windowMs: number = CSW_MS,
): boolean {
  for (const r of referralAts) if (r <= sentAt && sentAt < r + windowMs) return true;
  return false;
}

/** The FEP window at `now` given when it opened (the qualifying reply's delivery); closed at exactly +72h. */
export function freeEntryPointWindow(
  openedAt: Date | null,
  now: Date,
): { open: boolean; expiresAt: Date | null } {
  if (openedAt === null) return { open: false, expiresAt: null };
  const expiresAt = openedAt.getTime() + FEP_MS;
  return {
    open: openedAt.getTime() <= now.getTime() && now.getTime() < expiresAt,
    expiresAt: new Date(expiresAt),
  };
}
