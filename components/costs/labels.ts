/** Names and colours the costs pages use for categories, free reasons and models. Pure. */
import type { PricingModel } from "@/lib/domain";

export const CATEGORY_LABELS: Record<string, string> = {
  marketing: "Marketing",
  utility: "Utility",
  authentication: "Authentication",
  service: "Service",
  free_entry_point: "Free entry point",
  marketing_lite: "Marketing lite",
  authentication_international: "Authentication (international)",
};

/** One hue per category, readable on light and dark backgrounds. */
export const CATEGORY_COLORS: Record<string, string> = {
  marketing: "#8b5cf6",
  utility: "#0ea5e9",
  authentication: "#f59e0b",
  service: "#10b981",
  free_entry_point: "#ec4899",
};

export const categoryLabel = (c: string) => CATEGORY_LABELS[c] ?? c;

export const FREE_REASON_LABELS: Record<string, string> = {
  free_tier: "Free tier (first 1,000 service conversations a month)",
  free_entry_point: "Free entry point (ad / Page referral, 72h)",
  free_customer_service: "Free customer service (inside the 24h window)",
  free_price: "Priced at zero in the price table",
};

export const MODEL_LABELS: Record<PricingModel, string> = {
  cbp: "Conversation-based (CBP)",
  pmp: "Per-message (PMP)",
};

/** What one billable unit is called under each model. */
export const UNIT_LABELS: Record<PricingModel, { one: string; many: string }> = {
  cbp: { one: "conversation", many: "conversations" },
  pmp: { one: "message", many: "messages" },
};

export const PMP_TYPE_LABELS: Record<string, string> = {
  regular: "billed",
  free_customer_service: "free customer service",
  free_entry_point: "free entry point",
};
