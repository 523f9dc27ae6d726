import { log } from "@/lib/logger";
import { readBodyLimited, toResponse, WEBHOOK_MAX_BYTES } from "@/lib/services/ingest-http";
import { handleWebhookPost, handleWebhookVerify } from "@/lib/services/webhook-endpoint";
import { SIGNATURE_HEADER } from "@/lib/whatsapp/signature";

// Raw bytes and node:crypto are needed for the signature; never cache a webhook.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Meta's subscription handshake. Authentication is the verify token. */
export function GET(req: Request) {
  return toResponse(handleWebhookVerify(new URL(req.url).searchParams));
}

/** Meta's event delivery. Authentication is the X-Hub-Signature-256 HMAC, checked by the service. */
export async function POST(req: Request) {
  const read = await readBodyLimited(req, WEBHOOK_MAX_BYTES);
  if (!read.ok) {
    log.warn("webhook.too_large", { bytes: read.bytes });
    return toResponse({
      status: 413,
      body: { error: "payload_too_large", message: "Webhook bodies are limited to 3 MB." },
    });
  }
  return toResponse(await handleWebhookPost(read.bytes, req.headers.get(SIGNATURE_HEADER)));
}
