import { execFile } from "node:child_process";
import crypto from "node:crypto";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getInboxes } from "../../app/api/v1/inboxes/route";
import { GET as getMessages, POST as postMessage } from "../../app/api/v1/threads/[id]/messages/route";
import { GET as getThread } from "../../app/api/v1/threads/[id]/route";
import { GET as getThreads } from "../../app/api/v1/threads/route";
import { getDb } from "../../db/client";
import { billingConversations, contacts, inboxes, messages, templates, threads } from "../../db/schema";
import { createApiKey, revokeApiKey, verifyApiKey } from "../../lib/services/api-keys";

const HOUR = 3600_000;
const db = getDb();
const BASE = "http://localhost/api/v1";

let key: string;
let keyId: string;
let inboxId: string;
let phoneNumberId: string;
let openThread: { id: string; waId: string; lastInboundAt: Date };
let closedThread: { id: string; lastInboundAt: Date };

const rand = (n: number) => Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join("");

function req(path: string, init: RequestInit & { auth?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== null) headers.set("authorization", init.auth ?? `Bearer ${key}`);
  if (init.body) headers.set("content-type", "application/json");
  return new Request(`${BASE}${path}`, { ...init, headers });
}
const params = <P>(p: P) => ({ params: Promise.resolve(p) });

async function makeThread(lastInboundAt: Date) {
  const waId = `55${rand(11)}`;
  const [c] = await db.insert(contacts).values({ waId, profileName: "REST Customer" }).returning();
  const [t] = await db.insert(threads).values({ inboxId, contactId: c.id, lastInboundAt }).returning();
  return { id: t.id, waId, contactId: c.id, lastInboundAt };
}

beforeAll(async () => {
  ({ key, id: keyId } = await createApiKey(db, { name: "rest test" }));
  phoneNumberId = rand(15);
  const [inbox] = await db
    .insert(inboxes)
    .values({ name: "REST inbox", phoneNumberId, wabaId: rand(15), displayNumber: "+15550001111" })
    .returning();
  inboxId = inbox.id;
  await db.insert(templates).values({
    inboxId,
    wabaId: inbox.wabaId,
    name: "order_update",
    language: "en_US",
    category: "UTILITY",
    status: "APPROVED",
    components: [{ type: "BODY", text: "Hello {{1}}, order {{2}} shipped." }],
  });
  const open = await makeThread(new Date(Date.now() - HOUR));
  openThread = open;
  // A service conversation our engine opened half an hour ago, still open.
  await db.insert(billingConversations).values({
    inboxId,
    wabaId: inbox.wabaId,
    contactId: open.contactId,
    threadId: open.id,
    category: "service",
    openedAt: new Date(Date.now() - HOUR / 2),
    expiresAt: new Date(Date.now() + 23.5 * HOUR),
  });
  closedThread = await makeThread(new Date(Date.now() - 30 * HOUR));
});

afterAll(async () => {
  // Our inbox and everything in it: leaves no pending messages for other files' outbox drains.
  await db.delete(inboxes).where(eq(inboxes.id, inboxId));
});

describe("API keys", () => {
  it("stores only a hash and verifies the key", async () => {
    expect(key).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
    expect(await verifyApiKey(db, `Bearer ${key}`)).toEqual({ id: keyId, name: "rest test" });
    expect(await verifyApiKey(db, `Bearer ${key}x`)).toBeNull();
    expect(await verifyApiKey(db, "whk_nope")).toBeNull();
  });
});

describe("npm run apikey", () => {
  it("creates a key and prints it as the last word", { timeout: 150_000 }, async () => {
    const { stdout } = await promisify(execFile)("npx", ["tsx", "scripts/apikey.ts", "create", "CLI key"], {
      env: { ...process.env, LOG_LEVEL: "warn" },
      timeout: 60_000,
    });
    const cliKey = stdout.trim().split(/\s+/).at(-1)!;
    expect(cliKey).toMatch(/^whk_/);
    expect(await verifyApiKey(db, cliKey)).toMatchObject({ name: "CLI key" });
    const res = await getInboxes(req("/inboxes", { auth: `Bearer ${cliKey}` }));
    expect(res.status).toBe(200);
  });
});

describe("REST API v1", () => {
  it("answers 401 without a key, with a wrong key and with a revoked key", async () => {
    const none = await getInboxes(req("/inboxes", { auth: null }));
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "unauthorized" });
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);

    const wrong = await getInboxes(req("/inboxes", { auth: "Bearer whk_wrong" }));
    expect(wrong.status).toBe(401);

    const revoked = await createApiKey(db, { name: "to revoke" });
    expect(await revokeApiKey(db, { id: revoked.id })).toBe(true);
    const res = await getInboxes(req("/inboxes", { auth: `Bearer ${revoked.key}` }));
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(/revoked/);
  });

  it("lists inboxes with their phone_number_id", async () => {
    const res = await getInboxes(req("/inboxes"));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.inboxes).toContainEqual(
      expect.objectContaining({ id: inboxId, phone_number_id: phoneNumberId, name: "REST inbox" }),
    );
  });

  it("shows a thread with its windows", async () => {
    const res = await getThread(req(`/threads/${openThread.id}`), params({ id: openThread.id }));
    expect(res.status).toBe(200);
    const t = await res.json();
    expect(t).toMatchObject({
      id: openThread.id,
      inbox_id: inboxId,
      status: "open",
      contact: { wa_id: openThread.waId, name: "REST Customer" },
      assignee: null,
    });
    expect(t.windows).toEqual({
      csw: { open: true, expiresAt: new Date(openThread.lastInboundAt.getTime() + 24 * HOUR).toISOString() },
      fep: { open: false, expiresAt: null },
      freeText: true,
      templatesFree: false,
      conversations: [expect.objectContaining({ category: "service", costMicros: 0, currency: "USD" })],
    });

    const closed = await (
      await getThread(req(`/threads/${closedThread.id}`), params({ id: closedThread.id }))
    ).json();
    expect(closed.windows).toMatchObject({ csw: { open: false }, freeText: false, conversations: [] });

    const missing = await getThread(req("/threads/nope"), params({ id: "nope" }));
    expect(missing.status).toBe(404);
  });

  it("finds threads by wa_id and validates the query", async () => {
    const res = await getThreads(req(`/threads?wa_id=${openThread.waId}&status=open`));
    const body = await res.json();
    expect(body.threads.map((t: { id: string }) => t.id)).toEqual([openThread.id]);
    expect(body.threads[0].windows.freeText).toBe(true);

    const bad = await getThreads(req("/threads?status=closed"));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_input", field: "status" });
  });

  it("queues a text inside the window: 201 with the stored message", async () => {
    const res = await postMessage(
      req(`/threads/${openThread.id}/messages`, {
        method: "POST",
        body: JSON.stringify({ type: "text", text: "Hi from the API" }),
      }),
      params({ id: openThread.id }),
    );
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m).toMatchObject({
      thread_id: openThread.id,
      direction: "outbound",
      type: "text",
      body: "Hi from the API",
      status: "pending",
      sender_user_id: null,
    });
    const [row] = await db.select().from(messages).where(eq(messages.id, m.id));
    expect(row).toMatchObject({ status: "pending", body: "Hi from the API" });

    const page = await (
      await getMessages(req(`/threads/${openThread.id}/messages`), params({ id: openThread.id }))
    ).json();
    expect(page.messages[0]).toMatchObject({ id: m.id });
  });

  it("refuses a text on a closed window: 422 window_closed, nothing stored", async () => {
    const res = await postMessage(
      req(`/threads/${closedThread.id}/messages`, {
        method: "POST",
        body: JSON.stringify({ type: "text", text: "Hello?" }),
      }),
      params({ id: closedThread.id }),
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: "window_closed",
      message: expect.stringMatching(/window is closed/),
      closedAt: new Date(closedThread.lastInboundAt.getTime() + 24 * HOUR).toISOString(),
    });
    expect(await db.select().from(messages).where(eq(messages.threadId, closedThread.id))).toEqual([]);
  });

  it("sends a template on a closed window, and names missing parameters", async () => {
    const ok = await postMessage(
      req(`/threads/${closedThread.id}/messages`, {
        method: "POST",
        body: JSON.stringify({
          type: "template",
          name: "order_update",
          language: "en_US",
          params: ["Ana", "#7"],
        }),
      }),
      params({ id: closedThread.id }),
    );
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({
      type: "template",
      body: "Hello Ana, order #7 shipped.",
      template: { name: "order_update", language: "en_US", category: "utility" },
    });

    const missing = await postMessage(
      req(`/threads/${closedThread.id}/messages`, {
        method: "POST",
        body: JSON.stringify({ type: "template", name: "order_update", language: "en_US", params: ["Ana"] }),
      }),
      params({ id: closedThread.id }),
    );
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({
      error: "template_params",
      message: expect.stringContaining("{{2}}"),
    });
  });

  it("rejects malformed bodies with 400 naming the field", async () => {
    const cases: Array<[string, string]> = [
      ["not json", ""],
      [JSON.stringify({ type: "text", text: "" }), "text"],
      [JSON.stringify({ type: "fax", text: "x" }), "type"],
      [JSON.stringify({ type: "template" }), "name"],
    ];
    for (const [body, field] of cases) {
      const res = await postMessage(
        req(`/threads/${openThread.id}/messages`, { method: "POST", body }),
        params({ id: openThread.id }),
      );
      expect(res.status).toBe(400);
      const json = await res.json();
      expect(json.error).toBe("invalid_input");
      if (field) expect(json.field).toBe(field);
    }
  });

  it("is idempotent with a client_id", async () => {
    const body = JSON.stringify({ type: "note", text: "internal", client_id: "abc-1" });
    const a = await (
      await postMessage(
        req(`/threads/${openThread.id}/messages`, { method: "POST", body }),
        params({ id: openThread.id }),
      )
    ).json();
    const b = await (
      await postMessage(
        req(`/threads/${openThread.id}/messages`, { method: "POST", body }),
        params({ id: openThread.id }),
      )
    ).json();
    expect(a.id).toBe(b.id);
    expect(a.status).toBe("note");
  });
});
