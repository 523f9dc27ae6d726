/**
 * Meta's wire formats as the simulator speaks them: how webhook bodies are
 * serialised and signed, the Graph API error envelope, and id generators.
 */
import { createHmac, randomBytes } from "node:crypto";

/**
 * Serialises a webhook body the way Meta does: non-ASCII characters as `\uXXXX`
 * escapes and `/` as `\/`. An app that verifies the signature against
 * re-serialised JSON (instead of the raw bytes) fails on these, as it would in
 * production.
 */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\//g, "\\/");
}

/** `sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>`, Meta's X-Hub-Signature-256 value. */
export function signBody(appSecret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

/** A Graph-style trace id (Meta's are ~27 url-safe characters). */
export function fbtraceId(): string {
  return randomBytes(18).toString("base64url").slice(0, 27);
}

/**
 * A unique message id in Meta's style: `wamid.` + standard base64 (with `+`, `/`, `=`),
 * so an app that puts wamids into URLs or regexes unescaped breaks here too.
 */
export function newWamid(waId: string): string {
  const body = Buffer.concat([Buffer.from(`\u0015\u0002\u0000\u0012${waId}`), randomBytes(12)]);
  return `wamid.HBg${body.toString("base64")}`;
}

/** The `error` object of a Graph API error response. */
export type GraphErrorBody = {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: { messaging_product: "whatsapp"; details: string } | Record<string, unknown>;
  fbtrace_id: string;
};

/** A Graph API error: the HTTP status and the body Meta would answer with. */
export class GraphError extends Error {
  readonly body: { error: GraphErrorBody };
  constructor(
    readonly httpStatus: number,
    error: Omit<GraphErrorBody, "fbtrace_id" | "type"> & { type?: string },
  ) {
    super(error.message);
    this.name = "GraphError";
    this.body = { error: { type: "OAuthException", ...error, fbtrace_id: fbtraceId() } };
  }
  get code(): number {
    return this.body.error.code;
  }
}

/** Cloud API messaging errors carry `(#code) Title` as message and the details in error_data. */
export function messagingError(httpStatus: number, code: number, title: string, details: string): GraphError {
  return new GraphError(httpStatus, {
    message: `(#${code}) ${title}`,
    code,
    error_data: { messaging_product: "whatsapp", details },
  });
}

/** Graph's generic "(#100) Invalid parameter" with a human explanation. */
export function invalidParameter(details: string, extra: Partial<GraphErrorBody> = {}): GraphError {
  return new GraphError(400, {
    message: "(#100) Invalid parameter",
    code: 100,
    error_data: { messaging_product: "whatsapp", details },
    ...extra,
  });
}

/** Graph's answer for an id it does not know (or a path it does not serve). */
export function unknownObject(id: string, method: string): GraphError {
  return new GraphError(400, {
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: "GraphMethodException",
    code: 100,
    error_subcode: 33,
  });
}

export const ERR = {
  reengagement: () =>
    messagingError(
      400,
      131047,
      "Re-engagement message",
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    ),
  templateMissing: (name: string, language: string) =>
    messagingError(
      404,
      132001,
      "Template name does not exist in the translation",
      `template name (${name}) does not exist in ${language}`,
    ),
  templateParams: (details: string) =>
    messagingError(400, 132000, "Number of parameters does not match the expected number of params", details),
  templateFormat: (details: string) =>
    messagingError(400, 132012, "Parameter format does not match format in the created template", details),
  templatePaused: (name: string) =>
    messagingError(400, 132015, "Template is Paused", `Template ${name} is paused due to low quality.`),
  templateDisabled: (name: string) =>
    messagingError(
      400,
      132016,
      "Template is Disabled",
      `Template ${name} has been disabled due to low quality.`,
    ),
  undeliverable: (details: string) => messagingError(400, 131026, "Message Undeliverable", details),
  rateLimit: () =>
    messagingError(
      429,
      130429,
      "Rate limit hit",
      "Message failed to send because there were too many messages sent from this phone number in a short period of time.",
    ),
  unavailable: () =>
    new GraphError(500, {
      message: "(#2) Service temporarily unavailable",
      code: 2,
      is_transient: true,
      error_data: { messaging_product: "whatsapp", details: "Service temporarily unavailable" },
    }),
  noToken: () =>
    new GraphError(401, {
      message: "Invalid OAuth access token - Cannot parse access token",
      code: 190,
    }),
} as const;
