/**
 * Domain vocabularies shared by the rules, the database and the UI.
 * Declared here (inward) and imported by db/schema.ts for pgEnums, never the reverse.
 */
export const ROLES = ["agent", "supervisor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const THREAD_STATUSES = ["open", "pending", "resolved", "snoozed"] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

export const MESSAGE_DIRECTIONS = ["inbound", "outbound"] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

/** Delivery status of a message. `received` is for inbound, `note` for private notes (never sent). */
export const MESSAGE_STATUSES = [
  "pending",
  "sent",
  "delivered",
  "read",
  "failed",
  "received",
  "note",
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses Meta reports in `statuses[]` webhooks, in the order a message advances through them. */
export const DELIVERY_STATUSES = ["sent", "delivered", "read", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Template categories as our rules know them (lowercase). */
export const TEMPLATE_CATEGORIES = ["marketing", "utility", "authentication"] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

/** Billing conversation categories (CBP), including the free entry point. */
export const CONVERSATION_CATEGORIES = [
  "marketing",
  "utility",
  "authentication",
  "service",
  "free_entry_point",
] as const;
export type ConversationCategory = (typeof CONVERSATION_CATEGORIES)[number];

/** Categories that have a price in the price table. */
export const PRICED_CATEGORIES = ["marketing", "utility", "authentication", "service"] as const;
export type PricedCategory = (typeof PRICED_CATEGORIES)[number];

export const TEMPLATE_STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export const PRICING_MODELS = ["cbp", "pmp"] as const;
export type PricingModel = (typeof PRICING_MODELS)[number];

/** Per-message pricing types, as Meta's `pricing.type`. */
export const PMP_TYPES = ["regular", "free_customer_service", "free_entry_point"] as const;
export type PmpType = (typeof PMP_TYPES)[number];
