import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { DbOrTx } from "../../../db/client";
import { inboxes } from "../../../db/schema";
import { serveWebhook, WEBHOOK_PATH } from "../../../lib/services/webhook-endpoint";
import { signPayload } from "../../../lib/whatsapp/signature";

/**
 * Posting signed webhooks over HTTP to the real endpoint (in this process), and building Meta-shaped
 * bodies. Reusable by any integration test that needs inbound traffic.
 */

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/meta");
/** The ids Meta's example payloads (and our fixtures) use. */
export const FIXTURE_IDS = {
  wabaId: "102290129340398",
  phoneNumberId: "106540352242922",
  waId: "16505551234",
};

export const appSecret = () => process.env.WHATSAPP_APP_SECRET ?? "test-app-secret";

/** `sha256=<hex>` of the raw body with the test app secret (or `secret`). */
export function signBody(raw: string | Buffer, secret: string = appSecret()): string {
  return signPayload(raw, secret);
}

let server: Promise<string> | undefined;

/**
 * A Node HTTP server on a free loopback port serving only the webhook, exactly
 * as server.ts serves it (serveWebhook), started once per test file. Its base URL.
 */
export function webhookServerUrl(): Promise<string> {
  server ??= new Promise((resolve) => {
    const s = http.createServer((req, res) => void serveWebhook(req, res));
    s.keepAliveTimeout = 60_000;
    s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
    s.unref();
  });
  return server;
}

/**
 * Sends one raw HTTP request to the webhook server and answers with a web
 * Response. Node's client, not fetch: a test may declare a Content-Length the
 * body does not have, or stream a body (`chunks`) and stop when answered.
 */
export async function requestWebhook(opts: {
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Streamed without Content-Length, one chunk per call, until it returns null. */
  chunks?: () => Buffer | null;
}): Promise<Response> {
  const base = await webhookServerUrl();
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${WEBHOOK_PATH}${opts.query ? `?${opts.query}` : ""}`, {
      method: opts.method ?? "POST",
      headers: opts.headers,
    });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        resolve(new Response(Buffer.concat(parts), { status: res.statusCode ?? 0, headers }));
      });
    });
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    if (opts.chunks) {
      const pump = () => {
        while (!answered) {
          const chunk = opts.chunks!();
          if (chunk === null) return void req.end();
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
      };
      pump();
    } else req.end(opts.body);
  });
}

/**
 * POSTs a body to the webhook over HTTP, as Meta does. Objects are
 * JSON-serialised; strings and Buffers go as given (to keep Meta's escaping).
 * Signed with the test secret unless `signature` is given (null: no header).
 */
export async function postWebhook(
  body: unknown,
  opts: { signature?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const raw = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(raw)),
    ...opts.headers,
  };
  const signature = opts.signature === undefined ? signBody(raw) : opts.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return requestWebhook({ headers, body: raw });
}

export const randomDigits = (n: number) =>
  Array.from({ length: n }, (_, i) => (i === 0 ? 1 + crypto.randomInt(9) : crypto.randomInt(10))).join("");
export const randomWamid = () => `wamid.test.${crypto.randomUUID()}`;
/** Meta's timestamp format: Unix seconds as a string. */
export const unixSeconds = (d: Date) => String(Math.floor(d.getTime() / 1000));

/** An inbox with a random phone_number_id and WABA id, so parallel test files never collide. */
export async function createTestInbox(db: DbOrTx, name = "Webhook test inbox") {
  const [inbox] = await db
    .insert(inboxes)
    .values({
      name,
      phoneNumberId: randomDigits(15),
      wabaId: randomDigits(15),
      displayNumber: `+1555${randomDigits(7)}`,
    })
    .returning();
  return inbox;
}

/**
 * A fixture's raw text with Meta's example ids swapped for the test's (and every
 * `wamid.` tagged so each load has unique message ids), by text replacement so
 * the bytes keep Meta's formatting.
 */
export function loadFixtureRaw(
  name: string,
  ids: { phoneNumberId: string; wabaId?: string; waId?: string; tag?: string },
): string {
  const tag = ids.tag ?? crypto.randomUUID().slice(0, 8);
  let raw = readFileSync(path.join(FIXTURES, name), "utf8");
  raw = raw.replaceAll(FIXTURE_IDS.phoneNumberId, ids.phoneNumberId);
  if (ids.wabaId) raw = raw.replaceAll(FIXTURE_IDS.wabaId, ids.wabaId);
  if (ids.waId) raw = raw.replaceAll(FIXTURE_IDS.waId, ids.waId);
  return raw.replaceAll('"wamid.', `"wamid.${tag}.`);
}

export type WebhookContact = { waId: string; name?: string };

/** A `messages` change value for one business number. */
export function messagesValue(opts: {
  phoneNumberId: string;
  contacts?: WebhookContact[];
  messages?: object[];
  statuses?: object[];
  errors?: object[];
}) {
  return {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: "15550001111", phone_number_id: opts.phoneNumberId },
    ...(opts.contacts
      ? {
          contacts: opts.contacts.map((c) => ({
            ...(c.name ? { profile: { name: c.name } } : {}),
            wa_id: c.waId,
          })),
        }
      : {}),
    ...(opts.messages ? { messages: opts.messages } : {}),
    ...(opts.statuses ? { statuses: opts.statuses } : {}),
    ...(opts.errors ? { errors: opts.errors } : {}),
  };
}

/** A whole webhook body: entries of `messages` changes (one entry, one change unless given). */
export function webhookBody(entries: { wabaId: string; values: object[] }[]) {
  return {
    object: "whatsapp_business_account",
    entry: entries.map((e) => ({
      id: e.wabaId,
      changes: e.values.map((value) => ({ value, field: "messages" })),
    })),
  };
}

/** One inbound text message body from `waId` to an inbox. */
export function inboundTextBody(opts: {
  inbox: { phoneNumberId: string; wabaId: string };
  waId: string;
  name?: string;
  text: string;
  at?: Date;
  wamid?: string;
  extra?: Record<string, unknown>;
}) {
  const message = {
    from: opts.waId,
    id: opts.wamid ?? randomWamid(),
    timestamp: unixSeconds(opts.at ?? new Date()),
    type: "text",
    text: { body: opts.text },
    ...opts.extra,
  };
  return webhookBody([
    {
      wabaId: opts.inbox.wabaId,
      values: [
        messagesValue({
          phoneNumberId: opts.inbox.phoneNumberId,
          contacts: [{ waId: opts.waId, name: opts.name ?? "Test Customer" }],
          messages: [message],
        }),
      ],
    },
  ]);
}

/** A status body for outbound `wamid`. */
export function statusBody(opts: {
  inbox: { phoneNumberId: string; wabaId: string };
  wamid: string;
  status: "sent" | "delivered" | "read" | "failed" | (string & {});
  at: Date;
  recipient?: string;
  extra?: Record<string, unknown>;
}) {
  return webhookBody([
    {
      wabaId: opts.inbox.wabaId,
      values: [
        messagesValue({
          phoneNumberId: opts.inbox.phoneNumberId,
          statuses: [
            {
              id: opts.wamid,
              status: opts.status,
              timestamp: unixSeconds(opts.at),
              recipient_id: opts.recipient ?? "15550009999",
              ...opts.extra,
            },
          ],
        }),
      ],
    },
  ]);
}
