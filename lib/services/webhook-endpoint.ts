import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Db, getDb } from "../../db/client";
import { env } from "../env";
import { log } from "../logger";
import { SIGNATURE_HEADER, verifySignature } from "../whatsapp/signature";
import { parseWebhookBody } from "../whatsapp/webhook-schemas";
import { ingestBatcherFor } from "./ingest-batcher";
import { readBodyLimited, type ServiceResponse, sendResponse, WEBHOOK_MAX_BYTES } from "./ingest-http";
import { sanitizeForPostgres } from "./ingest-webhook";

/**
 * Meta's webhook endpoint: the verification handshake, and deliveries checked
 * (size, signature in constant time, JSON, shape) and then stored by the
 * batcher, which answers once the body's transaction has committed.
 */

/** Where Meta posts (the callback URL's path). */
export const WEBHOOK_PATH = "/api/webhooks/whatsapp";

/**
 * The endpoint on Node's HTTP server. server.ts routes WEBHOOK_PATH here
 * before Next's router: on this 2-core machine the router cost more per body
 * than storing it (bench/RESULTS.md). GET → handshake, POST → delivery,
 * anything else → 405.
 */
export async function serveWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === "GET") {
      const url = new URL(req.url ?? "/", "http://localhost");
      return sendResponse(res, handleWebhookVerify(url.searchParams));
    }
    if (req.method !== "POST") {
      res.setHeader("allow", "GET, POST");
      return sendResponse(res, {
        status: 405,
        body: { error: "method_not_allowed", message: "Use GET or POST." },
      });
    }
    const read = await readBodyLimited(req, WEBHOOK_MAX_BYTES);
    if (!read.ok) {
      log.warn("webhook.too_large", { bytes: read.bytes });
      // Refused on its Content-Length, the body was never read: the connection cannot carry
      // another request (its next bytes would be this body's), so it closes after the answer.
      if (!req.readableEnded) res.setHeader("connection", "close");
      return sendResponse(res, {
        status: 413,
        body: { error: "payload_too_large", message: "Webhook bodies are limited to 3 MB." },
      });
    }
    const signature = req.headers[SIGNATURE_HEADER];
    sendResponse(res, await handleWebhookPost(read.bytes, typeof signature === "string" ? signature : null));
  } catch (err) {
    // A client that hung up mid-body, or a bug: Meta retries anything but a 200.
    log.error("webhook.http_failed", { error: (err as Error).message });
    if (!res.headersSent)
      sendResponse(res, { status: 500, body: { error: "internal", message: "Try again." } });
    else res.destroy();
  }
}

/** GET handshake: `hub.mode=subscribe` and the right `hub.verify_token` → 200 with `hub.challenge`. */
export function handleWebhookVerify(params: URLSearchParams): ServiceResponse {
  const mode = params.get("hub.mode");
  const token = params.get("hub.verify_token") ?? "";
  const challenge = params.get("hub.challenge");
  if (mode === "subscribe" && challenge !== null && sameSecret(token, env().WHATSAPP_VERIFY_TOKEN)) {
    log.info("webhook.verified");
    return { status: 200, body: challenge };
  }
  log.warn("webhook.verify_rejected", { mode, hasToken: token.length > 0, hasChallenge: challenge !== null });
  return { status: 403, body: { error: "forbidden", message: "Verification token mismatch." } };
}

/**
 * POST: signature → JSON → envelope → one transaction → 200. Statuses: 413 too
 * large, 401 bad signature, 400 not a WhatsApp webhook, 500 storage failure (so
 * Meta retries). Nothing is stored unless the answer is 200.
 */
export async function handleWebhookPost(
  raw: Buffer,
  signatureHeader: string | null,
  opts: { db?: Db; appSecret?: string } = {},
): Promise<ServiceResponse> {
  if (raw.length > WEBHOOK_MAX_BYTES) {
    log.warn("webhook.too_large", { bytes: raw.length });
    return {
      status: 413,
      body: { error: "payload_too_large", message: "Webhook bodies are limited to 3 MB." },
    };
  }
  const check = verifySignature(raw, signatureHeader, opts.appSecret ?? env().WHATSAPP_APP_SECRET);
  if (!check.ok) {
    log.warn("webhook.signature_rejected", { reason: check.reason, bytes: raw.length });
    return {
      status: 401,
      body: { error: "unauthorized", message: "Invalid or missing X-Hub-Signature-256." },
    };
  }
  let json: unknown;
  try {
    json = sanitizeForPostgres(JSON.parse(raw.toString("utf8")));
  } catch (err) {
    if (err instanceof RangeError) {
      log.warn("webhook.too_deep", { bytes: raw.length });
      return { status: 400, body: { error: "invalid_input", message: "Body nests too deeply." } };
    }
    // The parser's message quotes the body: not logged, it may hold customer data.
    log.warn("webhook.invalid_json", { bytes: raw.length });
    return { status: 400, body: { error: "invalid_input", message: "Body is not JSON." } };
  }
  const parsed = parseWebhookBody(json);
  if (!parsed.ok) {
    log.warn("webhook.invalid_payload", { issues: parsed.issues.slice(0, 2000) });
    return {
      status: 400,
      body: {
        error: "invalid_input",
        message: "Not a WhatsApp Business Account webhook.",
        issues: parsed.issues,
      },
    };
  }
  try {
    const summary = await ingestBatcherFor(opts.db ?? getDb()).submit({
      webhook: parsed.webhook,
      body: json,
    });
    return {
      status: 200,
      body: {
        received: true,
        messages: summary.messagesStored,
        duplicates: summary.messagesDuplicate,
        statuses: summary.statusesStored,
      },
    };
  } catch (err) {
    log.error("webhook.ingest_failed", { error: (err as Error).message });
    return {
      status: 500,
      body: { error: "internal", message: "Could not store the webhook; Meta will retry." },
    };
  }
}

/** Constant-time comparison of two secrets of any length (hashing equalises lengths). */
function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash("sha256").update(a).digest();
  const hb = crypto.createHash("sha256").update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
