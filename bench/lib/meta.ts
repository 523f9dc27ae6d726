import crypto from "node:crypto";

/**
 * Meta-shaped webhook bodies for the load generators, signed as Meta signs
 * them (HMAC-SHA256 of the raw bytes with the app secret).
 */
export type BenchInbox = { phoneNumberId: string; wabaId: string };
export type BenchMessage = { waId: string; name?: string; wamid: string; text: string; at?: Date };

/** One `messages` change with N inbound text messages (Meta batches up to ~100 per body). */
export function inboundBody(inbox: BenchInbox, msgs: BenchMessage[]): string {
  const contacts = new Map<string, string | undefined>();
  for (const m of msgs) contacts.set(m.waId, m.name);
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: inbox.wabaId,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550009999", phone_number_id: inbox.phoneNumberId },
              contacts: [...contacts].map(([wa_id, name]) => ({
                profile: { name: name ?? `Customer ${wa_id}` },
                wa_id,
              })),
              messages: msgs.map((m) => ({
                from: m.waId,
                id: m.wamid,
                timestamp: String(Math.floor((m.at ?? new Date()).getTime() / 1000)),
                type: "text",
                text: { body: m.text },
              })),
            },
          },
        ],
      },
    ],
  });
}

export function sign(raw: string | Buffer, secret: string): string {
  return `sha256=${crypto.createHmac("sha256", secret).update(raw).digest("hex")}`;
}

/**
 * POSTs a signed body; resolves with the HTTP status (0: no answer), the time to
 * the answer (ms) and the app's JSON answer (`{received, messages, duplicates}` on 200).
 */
export async function postSigned(
  url: string,
  raw: string,
  secret: string,
  timeoutMs = 30_000,
): Promise<{ status: number; ms: number; body?: { messages?: number; duplicates?: number } }> {
  const started = performance.now();
  try {
    const r = await fetch(`${url}/api/webhooks/whatsapp`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": sign(raw, secret) },
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    const ms = performance.now() - started;
    let body: { messages?: number; duplicates?: number } | undefined;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: r.status, ms, body };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** A customer number: 55 + 11 digits, distinct per `n`. */
export const waIdFor = (n: number) => `55${String(11_000_000_000 + n).slice(-11)}`;
