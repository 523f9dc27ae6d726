import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../db/schema";
import { sendMessage } from "../../lib/services/send-message";
import { type RunningSimulator, startSimulator } from "../../simulator/app";
import {
  type AgentSocket,
  connectAgent,
  createAgent,
  record,
  sessionCookie,
  until,
} from "./helpers/agent-socket";
import { type AppProcess, startAppProcess } from "./helpers/app-process";
import { type PrivateDb, privateDatabase } from "./helpers/private-db";
import {
  createTestInbox,
  type Harness,
  insertThread,
  seedTemplate,
  simPost,
  simSent,
  type TestInbox,
} from "./send-harness";

/**
 * Meta down: the Graph API answers 500 — or nothing at all — for a while (the
 * issue's 60 s, compressed here to 12 s). Sends wait in the outbox ("sending…"
 * on the agent's screen: the row stays pending, with the error kept), then
 * drain by themselves; each message reaches Meta once and the agent's socket
 * sees it accepted, then delivered.
 */
const OUTAGE_MS = 12_000;
let pdb: PrivateDb;
let sim: RunningSimulator;
let h: Harness;
let inbox: TestInbox;
let app: AppProcess;
let socket: AgentSocket;

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  pdb = await privateDatabase("metadown");
  const port = await freePort();
  sim = await startSimulator({
    port: 0,
    webhookUrl: `http://127.0.0.1:${port}/api/webhooks/whatsapp`,
    appSecret: process.env.WHATSAPP_APP_SECRET ?? "test-app-secret",
    statusDelayMs: 50,
    autoRead: false,
    webhookRetryBaseMs: 200,
  });
  h = { sim, simUrl: sim.url, webhookStatuses: [], close: async () => {} };
  inbox = await createTestInbox(pdb.db, h);
  await seedTemplate(pdb.db, h, inbox, {
    name: "delivery_notice",
    components: [{ type: "BODY", text: "Your order {{1}} is on its way", example: { body_text: [["1"]] } }],
  });
  app = await startAppProcess({
    port,
    env: { DATABASE_URL: pdb.url, GRAPH_API_URL: `${sim.url}/v21.0`, DB_POOL_MAX: "6" },
    readyTimeoutMs: 90_000,
  });
  const agent = await createAgent(pdb.db, [inbox.id]);
  socket = await connectAgent(app.url, await sessionCookie(agent.id));
  const presence = record(socket, "presence:update");
  await until(() => presence.length > 0, "the agent's socket to join its rooms");
}, 120_000);

afterAll(async () => {
  socket?.close();
  await app?.stop();
  await sim?.close();
  await pdb?.drop();
});

/** Queues `n` template messages on `n` new threads; returns their ids. */
async function queue(n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = await insertThread(pdb.db, inbox);
    const r = await sendMessage(pdb.db, {
      threadId: t.threadId,
      actor: { userId: null, role: "supervisor" },
      input: { type: "template", name: "delivery_notice", params: [`${label}-${i}`] },
    });
    if (!r.ok) throw r.error;
    ids.push(r.message.id);
  }
  return ids;
}

async function rows(ids: string[]) {
  return pdb.db
    .select({
      id: messages.id,
      status: messages.status,
      attempts: messages.attempts,
      lastError: messages.lastError,
      wamid: messages.wamid,
    })
    .from(messages)
    .where(inArray(messages.id, ids));
}

/** Waits for every message to be delivered, then checks Meta got each once and the agent saw the ticks. */
async function expectDeliveredOnce(ids: string[], statuses: ReturnType<typeof record<"message:status">>) {
  await until(
    async () => {
      const [{ left }] = await pdb.db
        .select({ left: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(inArray(messages.id, ids), sql`${messages.status} not in ('delivered', 'read')`));
      return left === 0;
    },
    "every message to be delivered after the outage",
    90_000,
  );
  const phone = (await simSent(h, { phoneNumberId: inbox.phoneNumberId })).filter(
    (p) => p.idempotency_key && ids.includes(p.idempotency_key),
  );
  expect(phone).toHaveLength(ids.length);
  expect(phone.every((p) => p.posts_with_same_key === 1)).toBe(true);
  // "sending…" (no event: the row is pending) → accepted → delivered, in that order, per message.
  await until(
    () => ids.every((id) => statuses.some((s) => s.messageId === id && s.status === "delivered")),
    "the delivered ticks on the agent's socket",
  );
  for (const id of ids) {
    const seen = statuses.filter((s) => s.messageId === id).map((s) => s.status);
    expect(seen.indexOf("sent")).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf("sent")).toBeLessThan(seen.indexOf("delivered"));
    expect(seen).not.toContain("failed");
  }
}

describe("Meta down", () => {
  it("keeps sends pending through a 500 outage and delivers each once afterwards", {
    timeout: 120_000,
  }, async () => {
    const statuses = record(socket, "message:status");
    await simPost(h, "/_sim/outage", { mode: "500", forMs: OUTAGE_MS });
    const ids = await queue(10, "500");

    // While Meta is down the messages wait: pending, tried, the error kept for the agent.
    const waiting = await until(
      async () => {
        const r = await rows(ids);
        return r.every((m) => m.attempts >= 1 && m.lastError) ? r : undefined;
      },
      "a first failed attempt of every message",
      30_000,
    );
    expect(waiting.every((m) => m.status === "pending" && m.wamid === null)).toBe(true);
    expect(waiting.every((m) => /HTTP 5\d\d/.test(m.lastError ?? ""))).toBe(true);
    expect(statuses.filter((s) => ids.includes(s.messageId))).toEqual([]);

    await expectDeliveredOnce(ids, statuses);
    expect((await rows(ids)).every((m) => m.attempts > 1 && m.lastError === null)).toBe(true);
  });

  it("rides out a Graph API that does not answer at all", { timeout: 120_000 }, async () => {
    const statuses = record(socket, "message:status");
    await simPost(h, "/_sim/outage", { mode: "timeout", forMs: OUTAGE_MS });
    const ids = await queue(4, "timeout");
    await until(
      async () => (await rows(ids)).every((m) => m.attempts >= 1 && m.lastError),
      "a first attempt that got no answer",
      40_000,
    );
    const waiting = await rows(ids);
    expect(waiting.every((m) => m.status === "pending")).toBe(true);
    await expectDeliveredOnce(ids, statuses);
  });
});
