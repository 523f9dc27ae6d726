import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq, inArray } from "drizzle-orm";
import postgres from "postgres";
import { Server } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { type inboxes, messages, templates } from "../../db/schema";
import { type IoServer, setIo } from "../../lib/realtime/emit";
import {
  type ClientToServerEvents,
  rooms,
  type ServerToClientEvents,
  unpackEventBatches,
} from "../../lib/realtime/events";
import {
  createTestInbox,
  inboundTextBody,
  postWebhook,
  randomDigits,
  randomWamid,
  signBody,
  statusBody,
} from "./helpers/webhook";

/**
 * Realtime events of an ingested webhook, through a real Socket.IO server and
 * client: emitted after the commit (a second connection already sees the rows),
 * to the inbox and thread rooms, and not at all for redeliveries.
 */
const db = getDb();
let inbox: typeof inboxes.$inferSelect;
let server: http.Server;
let io: IoServer;
let client: Socket<ServerToClientEvents, ClientToServerEvents>;
let observer: postgres.Sql;
const received: { event: string; payload: Record<string, unknown>; committed?: boolean }[] = [];
/** Size in bytes of every `events:batch` packet received. */
const packets: number[] = [];

beforeAll(async () => {
  inbox = await createTestInbox(db);
  observer = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  server = http.createServer();
  io = new Server(server) as IoServer;
  io.on("connection", (s) => {
    s.join([rooms.inbox(inbox.id), rooms.role("agent")]);
    s.emit("presence:update", { online: [] }); // "joined" marker for the client
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  setIo(io);
  client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    transports: ["websocket"],
  });
  unpackEventBatches(client);
  await new Promise<void>((r) => client.once("presence:update", () => r()));
  client.on("events:batch", (packet) => packets.push(JSON.stringify(packet).length));
  client.on("thread:upsert", (t) => received.push({ event: "thread:upsert", payload: t }));
  client.on("message:status", (e) => received.push({ event: "message:status", payload: e }));
  client.on("template:update", (e) => received.push({ event: "template:update", payload: e }));
  client.on("message:new", async (e) => {
    // Seen from another connection at the moment the event arrives: only true after the commit.
    const rows = await observer`select 1 from messages where id = ${e.messageId}`;
    received.push({ event: "message:new", payload: e, committed: rows.length === 1 });
  });
});

afterAll(async () => {
  setIo(undefined);
  client?.close();
  await new Promise((r) => io?.close(() => r(undefined)));
  await observer?.end();
});

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting for realtime events");
    await new Promise((r) => setTimeout(r, 20));
  }
};
const events = (name: string) => received.filter((r) => r.event === name);

describe("realtime after commit", () => {
  it("emits thread:upsert and message:new for a new message, nothing for its redelivery", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const body = JSON.stringify(inboundTextBody({ inbox, waId, name: "Rita", text: "live?", wamid }));
    expect((await postWebhook(body)).status).toBe(200);
    await until(() => events("message:new").length === 1 && events("thread:upsert").length === 1);

    const [row] = await db.select().from(messages).where(eq(messages.wamid, wamid));
    expect(events("message:new")[0]).toMatchObject({
      payload: { messageId: row.id, threadId: row.threadId, inboxId: inbox.id },
      committed: true,
    });
    expect(events("thread:upsert")[0].payload).toMatchObject({
      id: row.threadId,
      inboxId: inbox.id,
      waId,
      contactName: "Rita",
      unreadCount: 1,
      lastMessagePreview: "live?",
      cswExpiresAt: new Date(row.at.getTime() + 24 * 3600_000).toISOString(),
    });

    // Redelivered, and a forged copy: no new events.
    const before = received.length;
    await postWebhook(body);
    await postWebhook(body, { signature: signBody(body, "forged") });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(before);
  });

  it("a burst of bodies reaches the client as every event, once each, in a few packets", async () => {
    const start = { news: events("message:new").length, upserts: events("thread:upsert").length };
    packets.length = 0;
    const wamids = Array.from({ length: 60 }, () => randomWamid());
    const answers = await Promise.all(
      wamids.map((wamid, i) =>
        postWebhook(inboundTextBody({ inbox, waId: `1555${randomDigits(8)}`, text: `burst ${i}`, wamid })),
      ),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    await until(() => events("message:new").length - start.news >= 60);
    await new Promise((r) => setTimeout(r, 200));
    const news = events("message:new").slice(start.news);
    const ids = (
      await db.select({ id: messages.id }).from(messages).where(inArray(messages.wamid, wamids))
    ).map((r) => r.id);
    expect(news.map((e) => e.payload.messageId).sort()).toEqual(ids.sort());
    expect(news.every((e) => e.committed)).toBe(true);
    // One list row per new thread.
    expect(events("thread:upsert").length - start.upserts).toBe(60);
    // Packed: far fewer packets than the 120 events, each under the adapter's 8,000-byte NOTIFY limit.
    expect(packets.length).toBeGreaterThan(0);
    expect(packets.length).toBeLessThan(60);
    expect(Math.max(...packets)).toBeLessThan(8000);
  });

  it("emits message:status when a status changes a message, and template:update", async () => {
    const waId = `1555${randomDigits(8)}`;
    await postWebhook(inboundTextBody({ inbox, waId, text: "hi" }));
    await until(() => events("message:new").some((e) => e.payload.inboxId === inbox.id));
    const threadId = events("thread:upsert").at(-1)!.payload.id as string;
    const wamid = randomWamid();
    const [out] = await db
      .insert(messages)
      .values({
        threadId,
        direction: "outbound",
        type: "text",
        body: "yo",
        wamid,
        status: "sent",
        at: new Date(),
      })
      .returning();
    await postWebhook(statusBody({ inbox, wamid, status: "read", at: new Date() }));
    await until(() => events("message:status").length === 1);
    expect(events("message:status")[0].payload).toMatchObject({
      messageId: out.id,
      threadId,
      status: "read",
    });

    const [tpl] = await db
      .insert(templates)
      .values({
        wabaId: inbox.wabaId,
        name: "rt_check",
        language: "en_US",
        category: "UTILITY",
        components: [],
      })
      .returning();
    await postWebhook({
      object: "whatsapp_business_account",
      entry: [
        {
          id: inbox.wabaId,
          changes: [
            {
              field: "message_template_status_update",
              value: {
                event: "REJECTED",
                message_template_id: 1,
                message_template_name: "rt_check",
                message_template_language: "en_US",
                reason: "TAG_CONTENT_MISMATCH",
              },
            },
          ],
        },
      ],
    });
    await until(() => events("template:update").length === 1);
    expect(events("template:update")[0].payload).toMatchObject({
      templateId: tpl.id,
      status: "REJECTED",
      reason: "TAG_CONTENT_MISMATCH",
    });
  });
});
