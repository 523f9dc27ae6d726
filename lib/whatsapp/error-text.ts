/**
 * Meta's error codes (Cloud API "Error codes" page) as sentences an agent can act on.
 * Pure data: used for failed statuses (messages.error_text) and send errors.
 */
export type MetaErrorLike = {
  code?: number | string | null;
  title?: string | null;
  message?: string | null;
  error_data?: { details?: string | null } | null;
};

const SENTENCES: Record<number, string> = {
  // Authorisation and throttling (Graph API level).
  0: "Meta could not authenticate the request: the access token may have expired or been revoked.",
  3: "This app is not allowed to use this WhatsApp capability.",
  4: "Too many API calls from this app; Meta is throttling it. Try again later.",
  10: "The app lacks the permission needed to send from this number.",
  100: "Meta rejected a parameter of the request as invalid.",
  190: "The access token has expired; an admin must reconnect the number.",
  368: "The business account is temporarily blocked for policy violations.",
  80007: "The WhatsApp Business Account hit its API rate limit. Try again later.",
  130429: "This number hit its throughput limit (messages per second); the message was not sent.",
  130472: "Meta did not deliver this message: the customer is part of a Meta marketing experiment.",
  130497: "The business may not message customers in this country.",
  131000: "Something went wrong at Meta while sending. Try again.",
  131005: "Access denied: the app no longer has permission to send from this number.",
  131008: "A required parameter was missing from the message.",
  131009: "A parameter of the message has an invalid value.",
  131016: "WhatsApp is temporarily unavailable. Try again later.",
  131021: "The recipient is the business number itself.",
  131026:
    "Message undeliverable: the number may not be on WhatsApp, may use an old app version, or has not accepted the current terms.",
  131031: "The business account is locked; Meta stopped its messages.",
  131037: "The business number needs an approved display name before it can send.",
  131042: "There is a payment problem on the WhatsApp Business Account.",
  131045: "The phone number's certificate is not valid; re-register the number.",
  131047:
    "More than 24 hours have passed since the customer last wrote, so only an approved template can be sent.",
  131048: "Meta limited this number because too many of its messages were reported as spam.",
  131049:
    "Meta did not deliver this marketing message to keep engagement healthy (per-customer marketing limit). Try later or another way.",
  131050: "The customer has chosen to stop receiving marketing messages from this business.",
  131051: "This message type is not supported by WhatsApp.",
  131052: "The media in the customer's message could not be downloaded.",
  131053: "The media could not be uploaded: unsupported type or too large.",
  131056:
    "Too many messages to this customer in a short time (pair rate limit). Wait a moment before sending again.",
  131057: "The business account is in maintenance mode.",
  132000: "The number of template parameters does not match the template.",
  132001: "The template does not exist in this language or is not approved yet.",
  132005: "The template text is too long once its parameters are filled in.",
  132007: "The template's content breaks WhatsApp's formatting policy.",
  132012: "A template parameter has the wrong format.",
  132015: "The template is paused because of low quality.",
  132016: "The template is disabled because of low quality.",
  132068: "The flow in this message is blocked.",
  132069: "The flow in this message is being throttled.",
  133010: "The business phone number is not registered with the Cloud API.",
};

/** The codes we have a sentence for (for tests and docs). */
export const KNOWN_ERROR_CODES = Object.keys(SENTENCES).map(Number);

/**
 * A human sentence for a Meta error: ours for known codes, otherwise Meta's own
 * title/message/details, otherwise a generic line naming the code.
 */
export function metaErrorText(err: MetaErrorLike | null | undefined): string {
  if (!err) return "Meta reported an error without details.";
  const code = err.code === null || err.code === undefined ? Number.NaN : Number(err.code);
  const known = Number.isFinite(code) ? SENTENCES[code] : undefined;
  if (known) return known;
  const clean = (s: string | null | undefined) => (s ?? "").trim().replace(/\.+$/, "");
  const title = clean(err.title || err.message);
  const details = clean(err.error_data?.details);
  const text = [title, details && details !== title ? details : ""].filter(Boolean).join(": ");
  if (text) return Number.isFinite(code) ? `${text} (Meta error ${code}).` : `${text}.`;
  return Number.isFinite(code) ? `Meta reported error ${code}.` : "Meta reported an error without details.";
}
