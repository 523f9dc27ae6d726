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
 * The Graph API with 100 ms added to every call, so draining 200 messages takes
 * one instance long enough that the other's poll (every second) claims some too.
 */
async function startSlowGraph(target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      await new Promise((r) => setTimeout(r, 100));
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
  await until(() => presence.some((p) => p.online.some((u) => u.userId === userId)), "the socket to join its rooms");
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

    const got = await until(() => newMessages.find((m) => m.inboxId === inbox.id), "message:new on instance B");
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
    expect(ours(seenA)).toEqual([{ threadId: t.id, inboxId: inbox.id, kind: "csw", expiresAt: expiresAt.toISOString() }]);
    expect(ours(seenB)).toHaveLength(1);

    const announcedBy = [a, b].map((p) => p.events("realtime.window_expired").filter((l) => l.threadId === t.id).length);
    expect(announcedBy[0] + announcedBy[1]).toBe(1);
    const claims = await pdb.db.select().from(windowAnnouncements).where(eq(windowAnnouncements.threadId, t.id));
    expect(claims).toHaveLength(1);
  });

  it("sends 200 queued messages through both instances, each reaching Meta exactly once", { timeout: 120_000 }, async () => {
    console.log("T start", Date.now() % 100000);
    await seedTemplate(pdb.db, h, inbox, {
      name: "order_update",
      components: [{ type: "BODY", text: "Order {{1}}", example: { body_text: [["1"]] } }],
    });
    console.log("T seeded", Date.now() % 100000);
    const list = await Promise.all(Array.from({ length: 100 }, () => insertThread(pdb.db, inbox)));
    console.log("T threads", Date.now() % 100000);
    const ids: string[] = [];
    for (let round = 0; round < 2; round++) {
      const sent = await Promise.all(
        list.map((t) =>
          sendMessage(pdb.db, {
            threadId: t.threadId,
            actor: { userId: null, role: "supervisor" },
            input: { type: "template", name: "order_update", params: [String(round)] },
          }),
        ),
      );
      for (const r of sent) {
        if (!r.ok) throw r.error;
        ids.push(r.message.id);
      }
    }
    expect(ids).toHaveLength(200);
    console.log("T queued", Date.now() % 100000);
    console.log("WH", JSON.stringify(sim.state.webhooks.slice(0, 3).map((w) => w.attempts)));
    console.log("A", a.proc.exitCode, a.stderr().slice(-1500));

    await until(
      async () => {
        const [{ left }] = await pdb.db
          .select({ left: sql<number>`count(*)::int` })
          .from(messages)
          .where(and(inArray(messages.id, ids), eq(messages.status, "pending")));
        return left === 0;
      },
      "the outbox to drain",
      45_000,
    ).catch((err) => {
      console.error("EXIT", a.proc.exitCode, a.proc.signalCode, b.proc.exitCode, b.proc.signalCode);
      console.error("A-ERR", a.stderr().slice(-3000));
      console.error("B-ERR", b.stderr().slice(-3000));
      console.error("SIM", JSON.stringify(sim.state.webhooks.slice(-3)));
      throw err;
    });
    const rows = await pdb.db
      .select({ id: messages.id, wamid: messages.wamid, status: messages.status, attempts: messages.attempts })
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

    // Both instances took part, and no message was sent by both.
    const sentBy = [a, b].map((p) =>
      p.events("outbox.sent").filter((l) => ids.includes(String(l.messageId))).map((l) => String(l.messageId)),
    );
    expect(sentBy[0].length + sentBy[1].length).toBe(200);
    expect(new Set([...sentBy[0], ...sentBy[1]]).size).toBe(200);
    expect(sentBy[0].length).toBeGreaterThan(0);
    expect(sentBy[1].length).toBeGreaterThan(0);
  });
});
