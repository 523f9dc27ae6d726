import net from "node:net";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, type inboxes, messages, webhookEvents } from "../../db/schema";
import { WEBHOOK_PATH } from "../../lib/services/webhook-endpoint";
import {
  createTestInbox,
  inboundTextBody,
  postWebhook,
  randomDigits,
  randomWamid,
  requestWebhook,
  signBody,
  webhookServerUrl,
} from "./helpers/webhook";

const db = getDb();
let inbox: typeof inboxes.$inferSelect;

beforeAll(async () => {
  inbox = await createTestInbox(db);
});

/** Rows that mention `marker` anywhere: proves a refused body left no trace. */
async function traces(marker: string) {
  const events = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(sql`${webhookEvents.body}::text like ${`%${marker}%`}`);
  const msgs = await db.select({ id: messages.id }).from(messages).where(eq(messages.wamid, marker));
  return events.length + msgs.length;
}

const verify = (params: Record<string, string>) =>
  requestWebhook({ method: "GET", query: String(new URLSearchParams(params)) });

describe("GET verification handshake", () => {
  it("echoes the challenge as text when the token matches", async () => {
    const res = await verify({
      "hub.mode": "subscribe",
      "hub.verify_token": "test-verify-token",
      "hub.challenge": "1158201444",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("1158201444");
  });

  it.each([
    ["wrong token", { "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1" }],
    ["token prefix", { "hub.mode": "subscribe", "hub.verify_token": "test-verify", "hub.challenge": "1" }],
    [
      "wrong mode",
      { "hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1" },
    ],
    ["no challenge", { "hub.mode": "subscribe", "hub.verify_token": "test-verify-token" }],
    ["nothing", {}],
  ])("refuses with 403: %s", async (_, params) => {
    const res = await verify(params);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain("1158201444");
  });
});

describe("POST signature", () => {
  const body = () => {
    const wamid = randomWamid();
    return {
      wamid,
      raw: JSON.stringify(inboundTextBody({ inbox, waId: `1555${randomDigits(8)}`, text: "sig", wamid })),
    };
  };

  it("accepts a correctly signed body", async () => {
    const { wamid, raw } = body();
    const res = await postWebhook(raw);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, messages: 1 });
    expect(await traces(wamid)).toBe(2);
  });

  it.each([
    ["missing", () => null],
    ["wrong secret", (raw: string) => signBody(raw, "not-the-secret")],
    ["wrong length", (raw: string) => signBody(raw).slice(0, -2)],
    ["not hex", () => `sha256=${"g".repeat(64)}`],
    ["sha1 prefix", (raw: string) => signBody(raw).replace("sha256=", "sha1=")],
    ["signature of another body", (raw: string) => signBody(`${raw} `)],
  ])("401 and nothing stored: %s", async (_, sign) => {
    const { wamid, raw } = body();
    const res = await postWebhook(raw, { signature: sign(raw) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "unauthorized" });
    expect(await traces(wamid)).toBe(0);
  });

  it("401 for a tampered body signed before tampering", async () => {
    const { wamid, raw } = body();
    const tampered = raw.replace('"sig"', '"SIG"');
    const res = await postWebhook(tampered, { signature: signBody(raw) });
    expect(res.status).toBe(401);
    expect(await traces(wamid)).toBe(0);
  });
});

describe("POST malformed bodies (valid signature)", () => {
  it.each([
    ["not JSON", (m: string) => `{"object":"whatsapp_business_account","entry":[${m}`],
    ["empty", (_: string) => ""],
    ["JSON array", (m: string) => JSON.stringify([m])],
    ["another object", (m: string) => JSON.stringify({ object: "page", entry: [{ id: m, changes: [] }] })],
    [
      "messages change without metadata",
      (m: string) =>
        JSON.stringify({
          object: "whatsapp_business_account",
          entry: [{ id: "1", changes: [{ field: "messages", value: { messages: [{ id: m }] } }] }],
        }),
    ],
  ])("400 and nothing stored: %s", async (_, make) => {
    const marker = randomWamid();
    const res = await postWebhook(make(marker));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_input" });
    expect(await traces(marker)).toBe(0);
  });
});

describe("POST size limit (3 MB)", () => {
  it("413 from the Content-Length header alone", async () => {
    const res = await postWebhook("{}", { headers: { "content-length": String(3 * 1024 * 1024 + 1) } });
    expect(res.status).toBe(413);
  });

  it("413 from the bytes actually read when the header is absent", async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let pulled = 0;
    const res = await requestWebhook({
      headers: { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      chunks: () => (++pulled > 80 ? null : chunk), // 20 MB if fully sent
    });
    expect(res.status).toBe(413);
    expect(pulled).toBe(81);
  });

  it("413 for a real over-size signed body, nothing stored", async () => {
    const marker = randomWamid();
    const body = inboundTextBody({
      inbox,
      waId: `1555${randomDigits(8)}`,
      text: "x".repeat(3 * 1024 * 1024),
      wamid: marker,
    });
    const res = await postWebhook(body);
    expect(res.status).toBe(413);
    expect(await traces(marker)).toBe(0);
  });
});

describe("a sender that hangs up", () => {
  it("mid-body: nothing is stored and the endpoint keeps answering", async () => {
    const marker = randomWamid();
    const raw = JSON.stringify(
      inboundTextBody({ inbox, waId: `1555${randomDigits(8)}`, text: "cut", wamid: marker }),
    );
    const url = new URL(await webhookServerUrl());
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(raw)}\r\nX-Hub-Signature-256: ${signBody(raw)}\r\n\r\n` +
            raw.slice(0, 40),
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on("error", reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await traces(marker)).toBe(0);
    const again = await postWebhook(raw);
    expect(again.status).toBe(200);
    expect(await traces(marker)).toBe(2);
  });
});

describe("contact bookkeeping", () => {
  it("creates a contact once per wa_id and keeps the latest profile name", async () => {
    const waId = `1555${randomDigits(8)}`;
    await postWebhook(inboundTextBody({ inbox, waId, name: "First", text: "a" }));
    await postWebhook(inboundTextBody({ inbox, waId, name: "Second", text: "b" }));
    const rows = await db.select().from(contacts).where(eq(contacts.waId, waId));
    expect(rows).toHaveLength(1);
    expect(rows[0].profileName).toBe("Second");
  });
});
