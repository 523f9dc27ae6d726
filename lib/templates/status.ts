/**
 * What Meta's template statuses and `message_template_status_update` events
 * mean for our row (whose status is one of TEMPLATE_STATUSES), and the
 * sentences admins and agents read about them. Pure.
 */
import { TEMPLATE_STATUSES, type TemplateStatus } from "../domain";

/** The effect of a status seen in Meta's list or a webhook event on our template row. */
export type StatusEffect =
  | { kind: "status"; status: TemplateStatus }
  /** Meta deleted it (or is deleting it): the row is soft-deleted. */
  | { kind: "deleted" }
  /** Still usable, but Meta flagged its quality (FLAGGED → it will be paused if it does not improve). */
  | { kind: "quality"; qualityRating: string }
  /** Known to Meta, no bearing on whether it can be sent (LOCKED, UNLOCKED...). */
  | { kind: "none" };

/** Maps a Meta template status or webhook event (case-insensitive) to its effect; null when unknown. */
export function statusEffect(event: string): StatusEffect | null {
  const e = event.trim().toUpperCase();
  if ((TEMPLATE_STATUSES as readonly string[]).includes(e))
    return { kind: "status", status: e as TemplateStatus };
  switch (e) {
    case "REINSTATED":
      return { kind: "status", status: "APPROVED" };
    case "IN_APPEAL":
      // Under review again after an appeal: not sendable until Meta decides.
      return { kind: "status", status: "PENDING" };
    case "LIMIT_EXCEEDED":
    case "ARCHIVED":
      return { kind: "status", status: "DISABLED" };
    case "PENDING_DELETION":
    case "DELETED":
      return { kind: "deleted" };
    case "FLAGGED":
      return { kind: "quality", qualityRating: "RED" };
    case "LOCKED":
    case "UNLOCKED":
      return { kind: "none" };
    default:
      return null;
  }
}

/**
 * The reason to store with a status: Meta's rejection reason, or for a pause or
 * disable the description Meta puts in `other_info`. "NONE" means no reason.
 */
export function statusReason(
  status: string,
  reason: string | null | undefined,
  otherInfo?: { title?: string; description?: string } | null,
): string | null {
  const r = reason && reason.toUpperCase() !== "NONE" ? reason : null;
  if (status === "REJECTED") return r ?? "Rejected by Meta (no reason given).";
  if (status === "PAUSED" || status === "DISABLED") return otherInfo?.description ?? otherInfo?.title ?? r;
  return null;
}

const REJECTION_TEXT: Record<string, string> = {
  INVALID_FORMAT: "the format is invalid (check variables, examples and length)",
  ABUSIVE_CONTENT: "the content breaks WhatsApp's policies",
  INCORRECT_CATEGORY: "the category does not match the content",
  PROMOTIONAL: "it is promotional, so it must be a marketing template",
  TAG_CONTENT_MISMATCH: "the content does not match the category",
  SCAM: "it looks like a scam",
};

/** A sentence for an admin about a rejected template. */
export function rejectionText(reason: string | null): string {
  if (!reason) return "Meta rejected this template.";
  const known = REJECTION_TEXT[reason.toUpperCase()];
  return known ? `Meta rejected it: ${known} (${reason}).` : `Meta rejected it: ${reason}`;
}

/**
 * What an agent composing with a template is told when it leaves the picker
 * (paused or disabled by Meta, deleted, or hidden by an admin).
 */
export function unavailableText(t: {
  name: string;
  status: string;
  reason?: string | null;
  visibleToAgents?: boolean;
}): string {
  const why = t.reason ? ` (${t.reason})` : "";
  switch (t.status) {
    case "PAUSED":
      return `Template "${t.name}" was paused by WhatsApp because of low quality${why}. Choose another template.`;
    case "DISABLED":
      return `Template "${t.name}" was disabled by WhatsApp${why}. Choose another template.`;
    case "DELETED":
      return `Template "${t.name}" was deleted. Choose another template.`;
    case "PENDING":
      return `Template "${t.name}" is being reviewed again by WhatsApp and cannot be sent until it is approved.`;
    case "REJECTED":
      return `Template "${t.name}" was rejected by WhatsApp${why}. Choose another template.`;
    default:
      return t.visibleToAgents === false
        ? `An admin hid template "${t.name}" from agents. Choose another template.`
        : `Template "${t.name}" is no longer available. Choose another template.`;
  }
}
