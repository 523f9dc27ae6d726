/**
 * HTTP plumbing for Meta's webhook, on Node's own request and response: reading
 * a body with a hard size limit and writing a service result. The webhook is
 * the one route server.ts serves before Next's router (see serveWebhook in
 * webhook-endpoint.ts): it is the hot path, and the router costs more per
 * request than storing the message does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Meta's documented maximum webhook body: 3 MB. */
export const WEBHOOK_MAX_BYTES = 3 * 1024 * 1024;

export type BodyRead = { ok: true; bytes: Buffer } | { ok: false; reason: "too_large"; bytes: number };

/**
 * Reads a request body as raw bytes, refusing more than `maxBytes`. The
 * Content-Length header is checked first (cheap refusal, nothing read), then
 * the bytes actually read, because the header can be absent (chunked) or wrong:
 * past the limit nothing more is kept, the rest is read and dropped, and the
 * refusal comes when the client has finished sending — answering earlier makes
 * Node reset the connection, and the client would never see its 413. (Node's
 * `requestTimeout` bounds how long a client can keep sending.)
 */
export function readBodyLimited(
  req: IncomingMessage,
  maxBytes: number = WEBHOOK_MAX_BYTES,
): Promise<BodyRead> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes)
    return Promise.resolve({ ok: false, reason: "too_large", bytes: declared });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () =>
      resolve(
        total > maxBytes
          ? { ok: false, reason: "too_large", bytes: total }
          : { ok: true, bytes: Buffer.concat(chunks, total) },
      ),
    );
    req.on("error", reject);
    // A client that hangs up mid-body: nothing to answer, nothing stored.
    req.on("close", () => {
      if (!req.complete) reject(new Error("client closed the request before its body ended"));
    });
  });
}

export type ServiceResponse = { status: number; body: string | object };

/** Strings go out as text/plain (Meta's verification challenge), objects as JSON. */
export function sendResponse(res: ServerResponse, r: ServiceResponse): void {
  const text = typeof r.body === "string";
  const payload = text ? (r.body as string) : JSON.stringify(r.body);
  res.writeHead(r.status, {
    "content-type": text ? "text/plain; charset=utf-8" : "application/json",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
  });
  res.end(payload);
}
