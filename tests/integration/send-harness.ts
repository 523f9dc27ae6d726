/**
 * Shared setup for the send / outbox / REST tests: the real simulator, a webhook receiver that
 * hands raw bodies to the real handler, and our own inbox (random ids: the database is shared
 * with other test files running in parallel).
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { contacts, inboxes, messages, templates, threads } from "../../db/schema";
import { resetEnvCache } from "../../lib/env";
import { drainOutbox } from "../../lib/services/outbox";
import { handleWebhookPost } from "../../lib/services/webhook-endpoint";
import { type RunningSimulator, startSimulator } from "../../simulator/app";

export const APP_SECRET = "test-app-secret";

export type Harness = {
  sim: RunningSimulator;
  simUrl: string;
  /** Webhook bodies the receiver answered, by HTTP status. */
  webhookStatuses: number[];
  close(): Promise<void>;
};

export async function startHarness(): Promise<Harness> {
  const webhookStatuses: number[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const sig = req.headers["x-hub-signature-256"];
      const r = await handleWebhookPost(Buffer.concat(chunks), typeof sig === "string" ? sig : null);
      webhookStatuses.push(r.status);
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const port = (receiver.address() as AddressInfo).port;

  const sim = await startSimulator({
    port: 0,
    webhookUrl: `http://127.0.0.1:${port}/api/webhooks/whatsapp`,
    appSecret: APP_SECRET,
    statusDelayMs: 40,
    approvalDelayMs: 20,
    webhookRetryBaseMs: 100,
  });
  process.env.GRAPH_API_URL = `${sim.url}/v21.0`;
  resetEnvCache();

  return {
    sim,
    simUrl: sim.url,
    webhookStatuses,
    async close() {
      await sim.close();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    },
  };
}

const digits = (n: number) =>
  Array.from(crypto.randomBytes(n), (b) => String(b % 10))
    .join("")
    .replace(/^0/, "1");

/** A random customer number (13 digits, like a Brazilian mobile). */
export const randomWaId = () => `55${digits(11)}`;

export type TestInbox = { id: string; phoneNumberId: string; wabaId: string };

/** Our inbox, registered with the simulator under its own business account. */
export async function createTestInbox(db: Db, h: Harness): Promise<TestInbox> {
  const phoneNumberId = digits(15);
  const wabaId = digits(15);
  const [row] = await db
    .insert(inboxes)
    .values({
      name: `Test ${phoneNumberId}`,
      phoneNumberId,
      wabaId,
      displayNumber: `+1555${phoneNumberId.slice(-7)}`,
      accessToken: "test-access-token",
    })
    .returning();
  await simPost(h, "/_sim/numbers", {
    phone_number_id: phoneNumberId,
    waba_id: wabaId,
    display_phone_number: `1555${phoneNumberId.slice(-7)}`,
  });
  return { id: row.id, phoneNumberId, wabaId };
}

export type TemplateSeed = {
  name: string;
  language?: string;
  category?: "MARKETING" | "UTILITY" | "AUTHENTICATION";
  status?: "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED";
  components: Array<Record<string, unknown>>;
  visibleToAgents?: boolean;
};

/** A template both Meta (the simulator) and our database know, with the same status. */
export async function seedTemplate(db: Db, h: Harness, inbox: TestInbox, t: TemplateSeed) {
  const language = t.language ?? "en_US";
  const category = t.category ?? "UTILITY";
  const status = t.status ?? "APPROVED";
  const meta = (await simPost(h, "/_sim/templates", {
    waba_id: inbox.wabaId,
    name: t.name,
    language,
    category,
    status,
    components: t.components,
  })) as { id: string };
  const [row] = await db
    .insert(templates)
    .values({
      inboxId: inbox.id,
      wabaId: inbox.wabaId,
      metaId: meta.id,
      name: t.name,
      language,
      category,
      status,
      components: t.components,
      visibleToAgents: t.visibleToAgents ?? true,
    })
    .returning();
  return row;
}

/** The customer writes to the business through the simulator; resolves when our thread has it. */
export async function customerWrites(
  db: Db,
  h: Harness,
  inbox: TestInbox,
  waId: string,
  text = "Hello!",
): Promise<{ threadId: string; contactId: string }> {
  await simPost(h, "/_sim/inbound", {
    from: waId,
    name: "Test Customer",
    text,
    phone_number_id: inbox.phoneNumberId,
  });
  return waitFor(async () => {
    const [t] = await db
      .select({ threadId: threads.id, contactId: threads.contactId, lastInboundAt: threads.lastInboundAt })
      .from(threads)
      .innerJoin(contacts, eq(contacts.id, threads.contactId))
      .where(and(eq(threads.inboxId, inbox.id), eq(contacts.waId, waId)));
    return t?.lastInboundAt ? { threadId: t.threadId, contactId: t.contactId } : undefined;
  }, "the inbound message to reach our database");
}

/** A thread made directly in our database (the simulator knows nothing of it). */
export async function insertThread(
  db: Db,
  inbox: TestInbox,
  opts: { waId?: string; lastInboundAt?: Date | null; assigneeId?: string | null } = {},
): Promise<{ threadId: string; contactId: string; waId: string }> {
  const waId = opts.waId ?? randomWaId();
  const [c] = await db.insert(contacts).values({ waId, profileName: "Direct" }).returning();
  const [t] = await db
    .insert(threads)
    .values({
      inboxId: inbox.id,
      contactId: c.id,
      lastInboundAt: opts.lastInboundAt ?? null,
      assigneeId: opts.assigneeId ?? null,
    })
    .returning();
  return { threadId: t.id, contactId: c.id, waId };
}

export async function simPost(h: Harness, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${h.simUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`simulator ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export type SimSent = {
  wamid: string;
  to: string;
  type: string;
  payload: Record<string, unknown>;
  idempotency_key: string | null;
  posts_with_same_key: number | null;
  statuses: Array<{ status: string }>;
};

/** What the customer's phone received (the simulator's record of accepted sends). */
export async function simSent(h: Harness, q: { to?: string; phoneNumberId?: string }): Promise<SimSent[]> {
  const params = new URLSearchParams();
  if (q.to) params.set("to", q.to);
  if (q.phoneNumberId) params.set("phone_number_id", q.phoneNumberId);
  const res = await fetch(`${h.simUrl}/_sim/sent?${params}`);
  return ((await res.json()) as { data: SimSent[] }).data;
}

export async function messageRow(db: Db, id: string) {
  const [m] = await db.select().from(messages).where(eq(messages.id, id));
  return m;
}

/** Polls `fn` until it returns a value (not undefined/false), or fails naming what it waited for. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Drains our inbox's outbox until `done` holds (the worker's loop, scoped to this test's inbox). */
export async function drainUntil<T>(
  db: Db,
  inbox: TestInbox,
  done: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  return waitFor(
    async () => {
      await drainOutbox(db, { inboxIds: [inbox.id] });
      return done();
    },
    what,
    timeoutMs,
  );
}
