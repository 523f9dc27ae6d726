/**
 * Meta's per-status verdict (the `conversation` and `pricing` objects of a status webhook),
 * computed with the same pure engine the app uses, so the simulator and the app agree by
 * construction. Pure: events and instants in, plain objects out.
 */
import { createHash } from "node:crypto";
import {
  computeContactState,
  type EngineConversation,
  type EngineEvent,
  isConversationOpenAt,
} from "../lib/windows/engine";

export type PricingModelName = "cbp" | "pmp";

export type StatusConversation = {
  id: string;
  expiration_timestamp?: string;
  origin: { type: string };
};

export type StatusPricing = {
  billable: boolean;
  pricing_model: "CBP" | "PMP";
  category: string;
  type?: string;
};

export type StatusBilling = { conversation?: StatusConversation; pricing: StatusPricing };

/** Meta's `origin.type` / CBP `pricing.category` for one of our conversation categories. */
export function originType(category: EngineConversation["category"]): string {
  return category === "free_entry_point" ? "referral_conversion" : category;
}

/**
 * The conversation a delivered message belongs to: the FEP if one is open; else, for a template,
 * the open conversation of its category; for free-form, an open service conversation, else the
 * earliest-opened conversation that is open (a reply inside a marketing conversation rides on it).
 */
function conversationOf(
  conversations: readonly EngineConversation[],
  msg: { category: string; template: boolean; deliveredAt: number },
): EngineConversation | undefined {
  const open = conversations.filter((c) => isConversationOpenAt(c, msg.deliveredAt));
  const fep = open.find((c) => c.category === "free_entry_point");
  if (fep) return fep;
  if (msg.template) return open.find((c) => c.category === msg.category);
  return open.find((c) => c.category === "service") ?? open[0];
}

/**
 * The billing objects for a status of message `wamid` reported at `at` (epoch ms), given every
 * event Meta knows for this (business number, customer) pair. For `sent` (not delivered yet) the
 * verdict is a preview: what the message's delivery at `at` would do, which is what Meta reports
 * with `sent`. `scope` seeds stable conversation ids (the same conversation keeps its id across
 * statuses). Returns null when the message is unknown, refused, or failed.
 */
export function statusBilling(args: {
  events: readonly EngineEvent[];
  wamid: string;
  status: "sent" | "delivered" | "read";
  at: number;
  pricingModel: PricingModelName;
  scope: string;
  /** Graph API v24.0+ omits `conversation` except inside a free entry point. */
  apiVersion: number;
}): StatusBilling | null {
  const { wamid, at } = args;
  const delivered = args.events.some(
    (e) =>
      e.type === "status" &&
      e.id === wamid &&
      (e.status === "delivered" || e.status === "read") &&
      e.at <= at,
  );
  const events: EngineEvent[] = delivered
    ? [...args.events]
    : [...args.events, { type: "status", at, id: wamid, status: "delivered" }];
  // Statuses are stamped in whole seconds, so one may precede its message's millisecond accept
  // time; evaluate no earlier than the message (the engine clamps the delivery to it likewise).
  const sentAt = args.events.find((e) => e.type === "outbound" && e.id === wamid)?.at ?? at;
  const state = computeContactState(events, Math.max(at, sentAt));
  const msg = state.messages.find((m) => m.id === wamid);
  if (!msg) return null;

  const conv = conversationOf(state.conversations, msg);
  const fep = conv?.category === "free_entry_point";
  let conversation: StatusConversation | undefined;
  if (conv && (args.apiVersion < 24 || fep)) {
    conversation = {
      id: createHash("sha256")
        .update(`${args.scope}|${conv.category}|${conv.openedBy}`)
        .digest("hex")
        .slice(0, 32),
      ...(args.status === "sent" ? { expiration_timestamp: String(Math.floor(conv.expiresAt / 1000)) } : {}),
      origin: { type: originType(conv.category) },
    };
  }

  let pricing: StatusPricing;
  if (args.pricingModel === "cbp") {
    const category = conv ? originType(conv.category) : msg.template ? msg.category : "service";
    pricing = { billable: !fep, pricing_model: "CBP", category };
  } else {
    pricing = {
      billable: msg.type === "regular",
      pricing_model: "PMP",
      category: msg.type === "free_entry_point" ? "referral_conversion" : msg.pricingCategory,
      type: msg.type,
    };
  }
  return conversation ? { conversation, pricing } : { pricing };
}
