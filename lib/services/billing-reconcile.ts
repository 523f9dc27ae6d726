/**
 * Reconciliation of our billing verdict with Meta's, per delivered message. Pure (no I/O), so the
 * dashboard (client and server) and the recompute share one definition.
 *
 * Meta reports its verdict on every status webhook: `pricing.pricing_model` (CBP | PMP),
 * `pricing.category`, `pricing.type` (PMP: regular | free_customer_service | free_entry_point),
 * the deprecated `pricing.billable`, and under CBP `conversation.id` + `conversation.origin.type`
 * (docs/whatsapp-rules.md §3). We compare it with the engine's verdict for Meta's own model — we
 * store both the CBP attribution and the PMP verdict of every message — so a workspace set to the
 * wrong model still gets a meaningful comparison (and a separate warning about the model).
 */
import type { ConversationCategory, PmpType } from "../domain";
import {
  type ContactState,
  type EngineConversation,
  isConversationOpenAt,
  normalizeTemplateCategory,
} from "../windows/engine";

/** Meta's verdict for one message, normalised from the stored `pricing` / `conversation` objects. */
export type MetaVerdict = {
  model: "CBP" | "PMP" | null;
  /** Meta's raw category (pricing.category, else conversation.origin.type), lowercased. */
  category: string | null;
  type: string | null;
  billable: boolean | null;
  conversationId: string | null;
  origin: string | null;
};

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** Reads Meta's verdict from `messages.meta_pricing` / `messages.meta_conversation` (either may be null). */
export function metaVerdictOf(metaPricing: unknown, metaConversation: unknown): MetaVerdict {
  const p = (metaPricing && typeof metaPricing === "object" ? metaPricing : {}) as Record<string, unknown>;
  const c = (metaConversation && typeof metaConversation === "object" ? metaConversation : {}) as Record<
    string,
    unknown
  >;
  const origin = str((c.origin as Record<string, unknown> | undefined)?.type)?.toLowerCase() ?? null;
  const model = str(p.pricing_model)?.toUpperCase() ?? null;
  return {
    model: model === "CBP" || model === "PMP" ? model : null,
    category: str(p.category)?.toLowerCase() ?? origin,
    type: str(p.type)?.toLowerCase() ?? null,
    billable: typeof p.billable === "boolean" ? p.billable : null,
    conversationId: str(c.id),
    origin,
  };
}

/**
 * The conversation category Meta's category names, in our vocabulary: `referral_conversion` →
 * free_entry_point, variants fold to their base, legacy `user_initiated`/`customer_initiated` →
 * service. `business_initiated` (legacy: any template category) → null = "any template category".
 */
export function metaConversationCategory(
  category: string | null,
): ConversationCategory | "any_template" | null {
  if (!category) return null;
  const c = category.toLowerCase();
  if (c === "referral_conversion" || c === "free_entry_point") return "free_entry_point";
  if (c === "service" || c === "user_initiated" || c === "customer_initiated") return "service";
  if (c === "business_initiated") return "any_template";
  return normalizeTemplateCategory(c);
}

/** Where a delivered message falls under CBP: the conversation it belongs to, and the ones Meta may name. */
export type CbpAttribution = {
  /** Our pick: the FEP if open; a template's own-category conversation; a free-form's service conversation if open, else the earliest open. */
  category: ConversationCategory;
  conversation: EngineConversation;
  /** Categories of every conversation open at delivery: Meta may attach a free-form message to any of them. */
  acceptable: ConversationCategory[];
};

/**
 * For each delivered message of `state`, the conversation it falls into under CBP. Inside an open
 * FEP everything belongs to the FEP; a template belongs to the open conversation of its category
 * (it opened one if none was open); a free-form message belongs to the service conversation if one
 * is open, else to the earliest-opened open conversation (Meta does not say which it picks, so any
 * open category is accepted when reconciling).
 */
export function cbpAttribution(state: ContactState): Map<string, CbpAttribution> {
  const out = new Map<string, CbpAttribution>();
  for (const m of state.messages) {
    const t = m.deliveredAt;
    const open = state.conversations.filter((c) => isConversationOpenAt(c, t));
    const fep = open.find((c) => c.category === "free_entry_point");
    if (fep) {
      out.set(m.id, { category: "free_entry_point", conversation: fep, acceptable: ["free_entry_point"] });
      continue;
    }
    const opened = open.find((c) => c.openedBy === m.id);
    const want: ConversationCategory = m.template ? m.category : "service";
    const pick =
      opened ??
      open.find((c) => c.category === want) ??
      // A free-form message inside another category's conversation opens nothing (rules §2).
      (m.template ? undefined : open[0]);
    if (!pick) continue; // cannot happen for a delivered message; keep the map honest rather than guess
    out.set(m.id, {
      category: pick.category,
      conversation: pick,
      acceptable: m.template ? [pick.category] : [...new Set(open.map((c) => c.category))],
    });
  }
  return out;
}

/** Why Meta's verdict differs from ours, as a stable code (the UI explains each, see MISMATCH_RULES). */
export const MISMATCH_RULE_CODES = [
  "fep_missing",
  "fep_extra",
  "category_differs",
  "utility_in_csw",
  "csw_differs",
  "conversation_differs",
  "conversation_split",
  "billable_differs",
] as const;
export type MismatchRule = (typeof MISMATCH_RULE_CODES)[number];

/** Our verdict for one delivered message, as reconcileMessage compares it. */
export type OurVerdict = {
  template: boolean;
  /** Normalised category (marketing | utility | authentication) or service for free-form. */
  category: string;
  pmpType: PmpType;
  cbp: CbpAttribution | null;
  /** Meta's conversation id reported for the message that opened our conversation (CBP), if any. */
  openerMetaConversationId: string | null;
};

/**
 * Compares our verdict with Meta's under *Meta's* model; null when they agree or Meta reported no
 * model. The first applicable rule wins, from the most to the least specific.
 */
export function reconcileMessage(ours: OurVerdict, meta: MetaVerdict): MismatchRule | null {
  if (meta.model === "PMP") {
    const metaFep = meta.type === "free_entry_point" || meta.category === "referral_conversion";
    if (metaFep && ours.pmpType !== "free_entry_point") return "fep_missing";
    if (!metaFep && ours.pmpType === "free_entry_point" && (meta.type !== null || meta.billable === true))
      return "fep_extra";
    if (metaFep) return null;
    const metaCat = metaConversationCategory(meta.category);
    if (ours.template && metaCat && metaCat !== "any_template" && metaCat !== ours.category) {
      return "category_differs";
    }
    if (meta.type === "regular" && ours.pmpType === "free_customer_service") {
      return ours.category === "utility" ? "utility_in_csw" : "billable_differs";
    }
    if (meta.type === "free_customer_service" && ours.pmpType === "regular") return "csw_differs";
    if (meta.type === null && meta.billable !== null && meta.billable !== (ours.pmpType === "regular")) {
      return "billable_differs";
    }
    return null;
  }
  if (meta.model === "CBP") {
    const cbp = ours.cbp;
    if (!cbp) return null;
    const metaCat = metaConversationCategory(meta.category);
    // Under CBP only free entry point conversations are not billable (free-tier ones are).
    const metaFep = metaCat === "free_entry_point" || meta.billable === false;
    if (metaFep && cbp.category !== "free_entry_point") return "fep_missing";
    if (!metaFep && cbp.category === "free_entry_point" && (metaCat !== null || meta.billable === true)) {
      return "fep_extra";
    }
    if (metaFep || metaCat === null) return null;
    if (metaCat === "any_template") {
      return cbp.acceptable.some((c) => c !== "service" && c !== "free_entry_point")
        ? null
        : "conversation_differs";
    }
    if (!cbp.acceptable.includes(metaCat)) {
      const metaIsTemplateCat = metaCat !== "service";
      return ours.template && metaIsTemplateCat ? "category_differs" : "conversation_differs";
    }
    if (
      metaCat === cbp.category &&
      meta.conversationId &&
      ours.openerMetaConversationId &&
      meta.conversationId !== ours.openerMetaConversationId
    ) {
      return "conversation_split";
    }
    return null;
  }
  return null;
}

/** A sentence per rule: what differs and which rule (docs/whatsapp-rules.md) explains it. */
export const MISMATCH_RULES: Record<MismatchRule, { title: string; explanation: string }> = {
  fep_missing: {
    title: "Meta saw a free entry point we did not",
    explanation:
      "Meta made this message free as part of a free entry point (referral_conversion). An FEP opens only when the business replies within 24h of a message carrying a Click-to-WhatsApp / Page referral (rules §2): the referral message may be missing here, or the reply was sent more than 24h after it.",
  },
  fep_extra: {
    title: "We counted a free entry point Meta did not",
    explanation:
      "We put this message inside a 72h free entry point window (a reply within 24h of an ad referral, rules §2), but Meta billed it normally. Check the referral message: Meta only honours referrals from ads and Page CTAs that it recorded.",
  },
  category_differs: {
    title: "Template category differs",
    explanation:
      "Meta billed this template under another category than the one stored for it. Meta re-categorises templates (e.g. a utility template judged marketing) and reports variants such as marketing_lite; sync the template list so its category matches.",
  },
  utility_in_csw: {
    title: "Utility template inside the service window",
    explanation:
      "Under per-message pricing a utility template delivered while the customer service window is open is free (rules §3), and we found the window open at delivery; Meta charged it. The window runs 24h from the customer's last message timestamp — a late delivery or a clock difference at the edge of the window explains it.",
  },
  csw_differs: {
    title: "Meta saw an open service window we did not",
    explanation:
      "Meta made this template free as a customer-service message, but we found the 24h customer service window closed at delivery (rules §1). An inbound message may be missing here (e.g. a webhook we never received).",
  },
  conversation_differs: {
    title: "Attributed to another conversation",
    explanation:
      "Meta attached this message to a conversation of a category we did not have open at its delivery. We open conversations at the delivery instant (rules §2); a delivered/read status that arrived late or is missing moves the opening.",
  },
  conversation_split: {
    title: "Meta opened a new conversation",
    explanation:
      "Meta reported a different conversation id than the one of the message that opened our conversation, so Meta counts two conversations where we count one: conversations last exactly 24h from their first delivery and never extend (rules §2), so the delivery times we hold differ from Meta's.",
  },
  billable_differs: {
    title: "Billable flag differs",
    explanation:
      "Meta's (deprecated) billable flag disagrees with our verdict. Under per-message pricing only `regular` messages are billable; free-form messages are free (rules §3).",
  },
};
