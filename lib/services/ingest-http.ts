/**
 * HTTP plumbing for the webhook route: reading a body with a hard size limit
 * and turning a service result into a Response.
 */

/** Meta's documented maximum webhook body: 3 MB. */
export const WEBHOOK_MAX_BYTES = 3 * 1024 * 1024;

export type BodyRead = { ok: true; bytes: Buffer } | { ok: false; reason: "too_large"; bytes: number };

/**
 * Reads a request body as raw bytes, refusing more than `maxBytes`. The
 * Content-Length header is checked first (cheap refusal), then the bytes
 * actually read, because the header can be absent (chunked) or wrong; reading
 * stops as soon as the limit is passed.
 */
export async function readBodyLimited(req: Request, maxBytes: number = WEBHOOK_MAX_BYTES): Promise<BodyRead> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes)
    return { ok: false, reason: "too_large", bytes: declared };
  if (!req.body) return { ok: true, bytes: Buffer.alloc(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, reason: "too_large", bytes: total };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}

export type ServiceResponse = { status: number; body: string | object };

/** Strings go out as text/plain (Meta's verification challenge), objects as JSON. */
export function toResponse(r: ServiceResponse): Response {
  if (typeof r.body === "string") {
    return new Response(r.body, {
      status: r.status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  return Response.json(r.body, { status: r.status });
}
