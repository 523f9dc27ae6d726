/**
 * The window & conversation engine: from one contact's event history (per business account)
 * and an explicit `now`, compute the customer service window, the free entry point, the CBP
 * billing conversations, the PMP verdict of every delivered message, and which free-form sends
 * would have been refused. Pure and deterministic; all times are epoch milliseconds.
 *
 * Rules: docs/whatsapp-rules.md §1–§2. Choices the doc leaves open, made here once:
 *
 * - **Only events with `at <= now` count.** An event at exactly `now` has happened.
 * - **Ordering.** Events are stable-sorted by `at` (ties keep input order). Everything below is
 *   defined on instants, not on input position, so the result does not depend on input order even
 *   for ties, except which of two same-instant messages is named `openedBy`, and which of two
 *   events with the same message id wins (the first in sorted order; later duplicates are ignored,
 *   as Meta's webhook retries are).
 * - **CSW.** Open at `t` iff some inbound has `at <= t < at + 24h` (half-open: closed at exactly
 *   +24h). An inbound and an outbound at the same instant: the window is open for the outbound.
 * - **Rejected.** A free-form (non-template) outbound whose `at` finds the CSW closed is
 *   rejected: it never reaches Meta, so its statuses are ignored and it opens and costs nothing.
 *   Templates are never rejected.
 * - **Delivery time.** The earliest `delivered` or `read` status (a read proves delivery by then).
 *   With consistent timestamps (delivered <= read) that is the `delivered` time, or the `read` time
 *   if `delivered` never arrives, as the rules say; taking the earliest also keeps the past stable
 *   when a late `delivered` is stamped after an earlier `read`. `failed` without either = never
 *   delivered (a `delivered` after a `failed` wins). `sent` is ignored. A status stamped before the
 *   message itself (clock skew) is clamped to the message's `at`. Not-yet-delivered messages open
 *   nothing.
 * - **Conversations** are half-open `[openedAt, expiresAt)`: a delivery at exactly
 *   `openedAt + 24h` finds it closed and opens a new one. They never extend.
 * - **Same-instant deliveries** are handled as one batch, in this order: (1) if no FEP is open and
 *   any message in the batch qualifies, the FEP opens first, so the whole batch is inside it;
 *   (2) templates, each opening its category if none is open; (3) free-form messages, opening a
 *   service conversation only if nothing at all is open. So a template and a free-form reply
 *   delivered at the same instant open only the template's conversation.
 * - **FEP.** A delivered outbound (free-form or template) *sent* at `s` with some referral inbound
 *   at `r <= s < r + 24h` opens an FEP at its delivery if no FEP is open then. Opening closes every
 *   other open conversation at that instant (`closedAt`); while it is open nothing else opens and
 *   every delivered message is `free_entry_point`. A referral is not "used up": after an FEP ends, a
 *   late-delivered qualifying reply may open another one (only possible with >48h delivery lag).
 *   The FEP does not unlock free text: `freeText` follows the CSW alone.
 * - **Template categories** are lowercased; `marketing_lite`→marketing,
 *   `authentication_international`→authentication for conversations (the raw value is kept in
 *   `pricingCategory` for the price table); a missing or unknown category counts as marketing,
 *   the dearest, so costs are never under-estimated.
 * - **PMP verdicts** (per delivered message, at its delivery): inside an open FEP →
 *   `free_entry_point`; else free-form → `free_customer_service` (category `service`); else a
 *   utility template delivered while the CSW is open → `free_customer_service`; else `regular`.
 */
import type { ConversationCategory, DeliveryStatus, PmpType, TemplateCategory } from "../domain";
import { CONVERSATION_MS, CSW_MS, FEP_MS } from "./csw";
import { hasReferral, isFepQualifyingReply } from "./fep";

/** A message from the customer. `at` is the provider timestamp (epoch ms). */
export type InboundEvent = { type: "inbound"; at: number; id: string; referral?: boolean | object | null };
/** A message the business sent (accepted for sending at `at`, epoch ms). `kind` "template" or anything else (free-form). */
export type OutboundEvent = {
  type: "outbound";
  at: number;
  id: string;
  kind: "text" | "template" | (string & {});
  category?: "marketing" | "utility" | "authentication" | (string & {}) | null;
};
/** A delivery status for outbound message `id`, stamped `at` (epoch ms). */
export type StatusEvent = { type: "status"; at: number; id: string; status: DeliveryStatus };
export type EngineEvent = InboundEvent | OutboundEvent | StatusEvent;

/** A CBP billing conversation. Times epoch ms; `closedAt` is set only when an FEP closed it early. */
export type EngineConversation = {
  category: ConversationCategory;
  openedAt: number;
  expiresAt: number;
  closedAt: number | null;
  /** Id of the message whose delivery opened it. */
  openedBy: string;
};

/** PMP verdict for one delivered outbound message. */
export type EngineMessage = {
  id: string;
  /** Template category (normalised) or `service` for free-form. */
  category: TemplateCategory | "service";
  /** The category to look prices up by: the template's raw (lowercased) category, or `service`. */
  pricingCategory: string;
  template: boolean;
  type: PmpType;
  sentAt: number;
  deliveredAt: number;
};

export type ContactState = {
  now: number;
  lastInboundAt: number | null;
  /** `expiresAt` = lastInboundAt + 24h (also when already past); null if the customer never wrote. */
  csw: { open: boolean; expiresAt: number | null };
  /** The latest FEP, if any. */
  fep: { open: boolean; openedAt: number | null; expiresAt: number | null };
  /** Free-form messages may be sent now (= csw.open). */
  freeText: boolean;
  /** Templates sent now are free because an FEP is open (= fep.open). */
  templatesFree: boolean;
  /** Every conversation opened up to `now`, by openedAt. */
  conversations: EngineConversation[];
  /** Free-form outbound sent while the CSW was closed, in time order. */
  rejected: string[];
  /** Accepted outbound not (yet) delivered and not failed. */
  pending: string[];
  /** Outbound that failed and were never delivered. */
  failed: string[];
  /** Delivered outbound with their PMP verdict, by delivery time. */
  messages: EngineMessage[];
};

export type EngineOptions = {
  /** Override window lengths (ms); defaults are Meta's 24h / 72h / 24h. */
  cswMs?: number;
  fepMs?: number;
  conversationMs?: number;
};

/** Whether an outbound `kind` is an (approved) template; everything else is free-form. */
export function isTemplateKind(kind: string): boolean {
  return kind.toLowerCase() === "template";
}

/**
 * The conversation category a template of `category` opens: lowercased, `*_lite` / `*_international`
 * variants fold to their base, missing or unknown → marketing (documented above).
 */
export function normalizeTemplateCategory(category: string | null | undefined): TemplateCategory {
  const c = (category ?? "").toLowerCase();
  if (c.startsWith("authentication")) return "authentication";
  if (c.startsWith("utility")) return "utility";
  return "marketing";
}

/** Whether a conversation is open at instant `t` (epoch ms): `openedAt <= t < expiresAt` and not closed by then. */
export function isConversationOpenAt(c: EngineConversation, t: number): boolean {
  return c.openedAt <= t && t < c.expiresAt && (c.closedAt === null || t < c.closedAt);
}

/** Categories of the conversations open at `t` (epoch ms). */
export function openCategoriesAt(
  conversations: readonly EngineConversation[],
  t: number,
): ConversationCategory[] {
  return conversations.filter((c) => isConversationOpenAt(c, t)).map((c) => c.category);
}

/** Latest element of ascending `times` that is <= t, or null. */
function latestAtOrBefore(times: readonly number[], t: number): number | null {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : times[lo - 1];
}

type Sent = { ev: OutboundEvent; order: number; template: boolean };
type Delivery = Sent & { deliveredAt: number };

/** Compute one contact's windows, conversations and message verdicts at `now` (epoch ms). */
export function computeContactState(
  events: readonly EngineEvent[],
  now: number,
  opts: EngineOptions = {},
): ContactState {
  const cswMs = opts.cswMs ?? CSW_MS;
  const fepMs = opts.fepMs ?? FEP_MS;
  const convMs = opts.conversationMs ?? CONVERSATION_MS;
  // Same rule as isCswOpenAt (csw.ts), with an overridable length.
  const cswOpen = (last: number | null, t: number) => last !== null && t < last + cswMs;

  const sorted = events
    .map((ev, i) => ({ ev, i }))
    .filter((x) => Number.isFinite(x.ev.at) && x.ev.at <= now)
    .sort((a, b) => a.ev.at - b.ev.at || a.i - b.i)
    .map((x) => x.ev);

  // Pass 1: the customer's messages.
  const inboundAts: number[] = [];
  const referralAts: number[] = [];
  const seenInbound = new Set<string>();
  for (const ev of sorted) {
    if (ev.type !== "inbound" || seenInbound.has(ev.id)) continue;
    seenInbound.add(ev.id);
    inboundAts.push(ev.at);
    if (hasReferral(ev.referral)) referralAts.push(ev.at);
  }
  const lastInboundAt = inboundAts.length ? inboundAts[inboundAts.length - 1] : null;

  // Pass 2: the business's messages, and whether each could be sent at all.
  const sent = new Map<string, Sent>();
  const rejected: string[] = [];
  const rejectedIds = new Set<string>();
  for (const ev of sorted) {
    if (ev.type !== "outbound" || sent.has(ev.id) || rejectedIds.has(ev.id)) continue;
    const template = isTemplateKind(ev.kind);
    if (!template && !cswOpen(latestAtOrBefore(inboundAts, ev.at), ev.at)) {
      rejected.push(ev.id);
      rejectedIds.add(ev.id);
      continue;
    }
    sent.set(ev.id, { ev, order: sent.size, template });
  }

  // Pass 3: statuses → delivery times.
  const delivered = new Map<string, number>();
  const failedIds = new Set<string>();
  for (const ev of sorted) {
    if (ev.type !== "status" || !sent.has(ev.id)) continue;
    // Sorted by time, so the first delivered-or-read status is the earliest.
    if ((ev.status === "delivered" || ev.status === "read") && !delivered.has(ev.id))
      delivered.set(ev.id, ev.at);
    else if (ev.status === "failed") failedIds.add(ev.id);
  }
  const deliveries: Delivery[] = [];
  const pending: string[] = [];
  const failed: string[] = [];
  for (const s of sent.values()) {
    const d = delivered.get(s.ev.id);
    if (d !== undefined) deliveries.push({ ...s, deliveredAt: Math.max(d, s.ev.at) });
    else if (failedIds.has(s.ev.id)) failed.push(s.ev.id);
    else pending.push(s.ev.id);
  }
  deliveries.sort((a, b) => a.deliveredAt - b.deliveredAt || a.order - b.order);

  // Pass 4: walk deliveries instant by instant.
  const conversations: EngineConversation[] = [];
  const messages: EngineMessage[] = [];
  let fep: EngineConversation | null = null;
  for (let i = 0; i < deliveries.length; ) {
    const t = deliveries[i].deliveredAt;
    let j = i;
    while (j < deliveries.length && deliveries[j].deliveredAt === t) j++;
    const batch = deliveries.slice(i, j);
    i = j;

    let fepOpen = fep !== null && t < fep.expiresAt;
    if (!fepOpen) {
      const trigger = batch.find((d) => isFepQualifyingReply(referralAts, d.ev.at, cswMs));
      if (trigger) {
        for (const c of conversations) if (isConversationOpenAt(c, t)) c.closedAt = t;
        fep = {
          category: "free_entry_point",
          openedAt: t,
          expiresAt: t + fepMs,
          closedAt: null,
          openedBy: trigger.ev.id,
        };
        conversations.push(fep);
        fepOpen = true;
      }
    }

    const cswOpenNow = cswOpen(latestAtOrBefore(inboundAts, t), t);
    for (const d of batch) {
      const category = d.template ? normalizeTemplateCategory(d.ev.category) : "service";
      let type: PmpType = "regular";
      if (fepOpen) type = "free_entry_point";
      else if (!d.template || (category === "utility" && cswOpenNow)) type = "free_customer_service";
      messages.push({
        id: d.ev.id,
        category,
        pricingCategory: d.template ? (d.ev.category ?? "marketing").toLowerCase() : "service",
        template: d.template,
        type,
        sentAt: d.ev.at,
        deliveredAt: t,
      });
    }
    if (fepOpen) continue;

    for (const d of batch) {
      if (!d.template) continue;
      const category = normalizeTemplateCategory(d.ev.category);
      if (openCategoriesAt(conversations, t).includes(category)) continue;
      conversations.push({ category, openedAt: t, expiresAt: t + convMs, closedAt: null, openedBy: d.ev.id });
    }
    for (const d of batch) {
      if (d.template || openCategoriesAt(conversations, t).length > 0) continue;
      conversations.push({
        category: "service",
        openedAt: t,
        expiresAt: t + convMs,
        closedAt: null,
        openedBy: d.ev.id,
      });
    }
  }

  const cswNow = cswOpen(lastInboundAt, now);
  const fepNow = fep !== null && fep.openedAt <= now && now < fep.expiresAt;
  return {
    now,
    lastInboundAt,
    csw: {
      open: cswNow,
      expiresAt: lastInboundAt === null ? null : lastInboundAt + cswMs,
    },
    fep: { open: fepNow, openedAt: fep?.openedAt ?? null, expiresAt: fep?.expiresAt ?? null },
    freeText: cswNow,
    templatesFree: fepNow,
    conversations,
    rejected,
    pending,
    failed,
    messages,
  };
}

/** What sending a message at `now` would do, assuming it is delivered at `now`. */
export type OutboundPreview =
  | { allowed: false; reason: "window_closed"; closedAt: number | null }
  | {
      allowed: true;
      opens: ConversationCategory | null;
      pmpType: PmpType;
      category: TemplateCategory | "service";
    };

/**
 * Preview a send at `now` (epoch ms) against a contact's history: refused (free-form with the CSW
 * closed), or which conversation its delivery would open (CBP) and its PMP type. Assumes
 * immediate delivery.
 */
export function previewOutbound(
  events: readonly EngineEvent[],
  now: number,
  message: { kind: string; category?: string | null },
  opts: EngineOptions = {},
): OutboundPreview {
  const id = "\u0000preview";
  const state = computeContactState(
    [
      ...events.filter((e) => e.at <= now),
      { type: "outbound", at: now, id, kind: message.kind, category: message.category },
      { type: "status", at: now, id, status: "delivered" },
    ],
    now,
    opts,
  );
  if (state.rejected.includes(id)) {
    return { allowed: false, reason: "window_closed", closedAt: state.csw.expiresAt };
  }
  const msg = state.messages.find((m) => m.id === id)!;
  const opened = state.conversations.find((c) => c.openedBy === id);
  return { allowed: true, opens: opened?.category ?? null, pmpType: msg.type, category: msg.category };
}
