import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, messages, threads, windowAnnouncements } from "../../db/schema";
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
import { inboundTextBody, signBody } from "./helpers/webhook";
import {
  createTestInbox,
  type Harness,
  insertThread,
  randomWaId,
  seedTemplate,
  simSent,
  type TestInbox,
} from "./send-harness";

/**
 * Two app instances (real processes: HTTP + Socket.IO with the Postgres
 * adapter + workers) on two ports, one database. What one instance hears,
 * agents on the other see; what both could do (announce an expiry, send a
 * queued message), exactly one does.
 */
let pdb: PrivateDb;
let sim: RunningSimulator;
let slowGraph: http.Server;
let h: Harness;
let inbox: TestInbox;
let a: AppProcess;
let b: AppProcess;
const sockets: AgentSocket[] = [];

/** A port nobody listens on yet (instance A's, known before the simulator that posts to it starts). */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * The Graph API with 50 ms added to every call, so draining 200 messages takes
 * one instance long enough that the other's poll (every second) claims some too.
 */
async function startSlowGraph(target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      await new Promise((r) => setTimeout(r, 50));
      try {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k, v]) => typeof v === "string" && k !== "host"),
        ) as Record<string, string>;
        const r = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
        res.end(Buffer.from(await r.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

/** A connected agent socket that has joined its rooms (its own presence came back). */
async function agentOn(instance: AppProcess, userId: string): Promise<AgentSocket> {
  const socket = await connectAgent(instance.url, await sessionCookie(userId));
  sockets.push(socket);
  const presence = record(socket, "presence:update");
  await until(
    () => presence.some((p) => p.online.some((u) => u.userId === userId)),
    "the socket to join its rooms",
  );
  return socket;
}

beforeAll(async () => {
  pdb = await privateDatabase("scaleout");
  const portA = await freePort();
  sim = await startSimulator({
    port: 0,
    webhookUrl: `http://127.0.0.1:${portA}/api/webhooks/whatsapp`,
    appSecret: process.env.WHATSAPP_APP_SECRET ?? "test-app-secret",
    statusDelayMs: 30,
    autoRead: false,
    webhookRetryBaseMs: 200,
  });
  slowGraph = await startSlowGraph(sim.url);
  h = { sim, simUrl: sim.url, webhookStatuses: [], close: async () => {} };
  inbox = await createTestInbox(pdb.db, h);

  const env = {
    DATABASE_URL: pdb.url,
    GRAPH_API_URL: `http://127.0.0.1:${(slowGraph.address() as AddressInfo).port}/v21.0`,
    REALTIME_ADAPTER: "postgres",
    WINDOW_SCAN_MS: "1000",
    DB_POOL_MAX: "6",
  };
  [a, b] = await Promise.all([
    startAppProcess({ port: portA, env, readyTimeoutMs: 90_000 }),
    startAppProcess({ env, readyTimeoutMs: 90_000 }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await sim?.close();
  slowGraph?.closeAllConnections();
  await new Promise((r) => slowGraph?.close(r));
  await pdb?.drop();
});

describe("two app instances, one database", () => {
  it("delivers a webhook posted to instance A to an agent connected to instance B", async () => {
    const agent = await createAgent(pdb.db, [inbox.id]);
    const onB = await agentOn(b, agent.id);
    const newMessages = record(onB, "message:new");
    const upserts = record(onB, "thread:upsert");

    const waId = randomWaId();
    const raw = JSON.stringify(inboundTextBody({ inbox, waId, text: "Hello from A" }));
    const res = await fetch(`${a.url}/api/webhooks/whatsapp`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signBody(raw) },
      body: raw,
    });
    expect(res.status).toBe(200);

    const got = await until(
      () => newMessages.find((m) => m.inboxId === inbox.id),
      "message:new on instance B",
    );
    const [stored] = await pdb.db
      .select({ id: messages.id, threadId: messages.threadId })
      .from(messages)
      .where(eq(messages.id, got.messageId));
    expect(stored.threadId).toBe(got.threadId);
    await until(() => upserts.find((t) => t.id === got.threadId && t.waId === waId), "thread:upsert on B");
  });

  it("announces a window expiry once across both instances", async () => {
    const agent = await createAgent(pdb.db, [inbox.id]);
    const [onA, onB] = await Promise.all([agentOn(a, agent.id), agentOn(b, agent.id)]);
    const seenA = record(onA, "thread:window");
    const seenB = record(onB, "thread:window");

    // A customer wrote 24 h minus 4 s ago: the service window closes in 4 s. Both instances'
    // scans (every second here) pick it up and both set a timer for the same instant.
    const expiresAt = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000);
    const [c] = await pdb.db.insert(contacts).values({ waId: randomWaId() }).returning();
    const [t] = await pdb.db
      .insert(threads)
      .values({
        inboxId: inbox.id,
        contactId: c.id,
        lastInboundAt: new Date(expiresAt.getTime() - 24 * 3600_000),
        cswExpiresAt: expiresAt,
      })
      .returning();

    const ours = (seen: typeof seenA) => seen.filter((e) => e.threadId === t.id);
    await until(() => ours(seenA).length > 0 && ours(seenB).length > 0, "the expiry on both sockets", 30_000);
    // Both timers have fired by now; give a second announcement time to show up if there were one.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ours(seenA)).toEqual([
      { threadId: t.id, inboxId: inbox.id, kind: "csw", expiresAt: expiresAt.toISOString() },
    ]);
    expect(ours(seenB)).toHaveLength(1);

    const announcedBy = [a, b].map(
      (p) => p.events("realtime.window_expired").filter((l) => l.threadId === t.id).length,
    );
    expect(announcedBy[0] + announcedBy[1]).toBe(1);
    const claims = await pdb.db
      .select()
      .from(windowAnnouncements)
      .where(eq(windowAnnouncements.threadId, t.id));
    expect(claims).toHaveLength(1);
  });

  it("sends 200 queued messages through both instances, each reaching Meta exactly once", {
    timeout: 120_000,
  }, async () => {
    // Status webhooks are not what this test is about: keep them from competing for the CPU.
    await fetch(`${sim.url}/_sim/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ statusDelayMs: 600_000 }),
    });
    await seedTemplate(pdb.db, h, inbox, {
      name: "order_update",
      components: [{ type: "BODY", text: "Order {{1}}", example: { body_text: [["1"]] } }],
    });
    // 200 customers; the first message is queued by the send service, the other 199 are copies
    // of it on the other threads, inserted in one statement (as a campaign would queue them) so
    // both instances find a full outbox at their next poll.
    const first = await insertThread(pdb.db, inbox);
    const queued = await sendMessage(pdb.db, {
      threadId: first.threadId,
      actor: { userId: null, role: "supervisor" },
      input: { type: "template", name: "order_update", params: ["42"] },
    });
    if (!queued.ok) throw queued.error;
    const copies = await pdb.sql<{ id: string }[]>`
      with c as (
        insert into contacts (wa_id, profile_name)
        select '55' || lpad((floor(random() * 1e8))::bigint::text, 8, '0') || lpad(g::text, 3, '0'), 'Load ' || g
          from generate_series(1, 199) g
        returning id),
      t as (
        insert into threads (inbox_id, contact_id) select ${inbox.id}, c.id from c returning id)
      insert into messages (thread_id, direction, type, body, payload, template_name, template_language,
                            template_category, template_params, status, attempts, next_attempt_at)
      select t.id, m.direction, m.type, m.body, m.payload, m.template_name, m.template_language,
             m.template_category, m.template_params, 'pending', 0, now()
        from t, messages m where m.id = ${queued.message.id}
      returning id`;
    const ids = [queued.message.id, ...copies.map((r) => r.id)];
    expect(ids).toHaveLength(200);

    await until(
      async () => {
        const [{ left }] = await pdb.db
          .select({ left: sql<number>`count(*)::int` })
          .from(messages)
          .where(and(inArray(messages.id, ids), eq(messages.status, "pending")));
        return left === 0;
      },
      "the outbox to drain",
      90_000,
    );
    const rows = await pdb.db
      .select({
        id: messages.id,
        wamid: messages.wamid,
        status: messages.status,
        attempts: messages.attempts,
      })
      .from(messages)
      .where(inArray(messages.id, ids));
    expect(rows.filter((m) => m.wamid === null || m.status === "failed")).toEqual([]);
    expect(rows.every((m) => m.attempts === 1)).toBe(true);

    // Meta's side: each of our messages arrived once (the simulator counts posts per idempotency key).
    const phone = (await simSent(h, { phoneNumberId: inbox.phoneNumberId })).filter(
      (p) => p.idempotency_key && ids.includes(p.idempotency_key),
    );
    expect(phone).toHaveLength(200);
    expect(new Set(phone.map((p) => p.idempotency_key)).size).toBe(200);
    expect(phone.every((p) => p.posts_with_same_key === 1)).toBe(true);

    // Both instances took part, and no message was sent by both (log lines trail the commits).
    const sentBy = () =>
      [a, b].map((p) =>
        p
          .events("outbox.sent")
          .filter((l) => ids.includes(String(l.messageId)))
          .map((l) => String(l.messageId)),
      );
    await until(() => sentBy()[0].length + sentBy()[1].length >= 200, "both instances' outbox.sent lines");
    const [byA, byB] = sentBy();
    expect(byA.length + byB.length).toBe(200);
    expect(new Set([...byA, ...byB]).size).toBe(200);
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  });
});
