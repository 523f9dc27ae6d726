import { and, eq, TransactionRollbackError } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { messages, threads, users, workspaceSettings } from "../../db/schema";
import { retryFailedMessage, sendMessage } from "../../lib/services/send-message";
import { createTemplate, deleteTemplate, listTemplates } from "../../lib/whatsapp/graph-client";
import {
  createTestInbox,
  customerWrites,
  drainUntil,
  type Harness,
  insertThread,
  messageRow,
  randomWaId,
  seedTemplate,
  simSent,
  startHarness,
  type TestInbox,
  waitFor,
} from "./send-harness";

const HOUR = 3600_000;
const db = getDb();
let h: Harness;
let inbox: TestInbox;
let agentId: string;
const agent = () => ({ userId: agentId, role: "agent" as const });

const ORDER_UPDATE = [
  {
    type: "BODY",
    text: "Hello {{1}}, your order {{2}} has shipped.",
    example: { body_text: [["Maria", "#1042"]] },
  },
];

beforeAll(async () => {
  h = await startHarness();
  inbox = await createTestInbox(db, h);
  const [u] = await db
    .insert(users)
    .values({
      email: `send-${inbox.phoneNumberId}@test.local`,
      name: "Send Agent",
      passwordHash: "x",
      role: "agent",
    })
    .returning();
  agentId = u.id;
  await seedTemplate(db, h, inbox, { name: "order_update", components: ORDER_UPDATE });
  await seedTemplate(db, h, inbox, {
    name: "pending_promo",
    category: "MARKETING",
    status: "PENDING",
    components: [{ type: "BODY", text: "Coming soon!" }],
  });
});

afterAll(async () => {
  await h?.close();
});

describe("sendMessage → outbox → simulator → webhooks", () => {
  it("sends free text inside the window; the phone gets it and it comes back delivered and read", async () => {
    const waId = randomWaId();
    const { threadId } = await customerWrites(db, h, inbox, waId, "Where is my order?");

    const r = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "text", text: "It ships today." },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const stored = await messageRow(db, r.message.id);
    expect(stored).toMatchObject({
      direction: "outbound",
      type: "text",
      body: "It ships today.",
      status: "pending",
      senderUserId: agentId,
      wamid: null,
    });
    const [t] = await db.select().from(threads).where(eq(threads.id, threadId));
    expect(t.lastMessagePreview).toBe("It ships today.");

    const done = await drainUntil(
      db,
      inbox,
      async () => {
        const m = await messageRow(db, r.message.id);
        return m.status === "read" ? m : undefined;
      },
      "the message to be read",
    );
    expect(done.wamid).toMatch(/^wamid\./);
    expect(done.deliveredAt).toBeInstanceOf(Date);
    expect(done.readAt).toBeInstanceOf(Date);
    expect(done.sentAt).toBeInstanceOf(Date);
    expect(done.attempts).toBe(1);

    const phone = await simSent(h, { to: waId });
    expect(phone).toHaveLength(1);
    expect(phone[0]).toMatchObject({ wamid: done.wamid, type: "text", idempotency_key: r.message.id });
    expect(phone[0].payload).toMatchObject({ text: { body: "It ships today." } });
  });

  it("refuses free text outside the window before calling Meta, and stores nothing", async () => {
    const lastInboundAt = new Date(Date.now() - 25 * HOUR);
    const { threadId, waId } = await insertThread(db, inbox, { lastInboundAt });

    for (const input of [
      { type: "text" as const, text: "Still there?" },
      { type: "media" as const, mediaKind: "image" as const, link: "https://example.com/a.jpg" },
    ]) {
      const r = await sendMessage(db, { threadId, actor: agent(), input });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe("window_closed");
      expect(r.error.details).toEqual({
        closedAt: new Date(lastInboundAt.getTime() + 24 * HOUR).toISOString(),
      });
      expect(r.error.message).toMatch(/24-hour customer service window is closed/);
    }
    await drainUntil(db, inbox, async () => true, "a drain");
    expect(await db.select().from(messages).where(eq(messages.threadId, threadId))).toEqual([]);
    expect(await simSent(h, { to: waId })).toEqual([]);
  });

  it("refuses free text to a customer who never wrote", async () => {
    const { threadId } = await insertThread(db, inbox, { lastInboundAt: null });
    const r = await sendMessage(db, { threadId, actor: agent(), input: { type: "text", text: "Hi" } });
    expect(!r.ok && r.error.code).toBe("window_closed");
    expect(!r.ok && r.error.details).toEqual({ closedAt: null });
  });

  it("sends an approved template outside the window, rendered for the UI", async () => {
    const { threadId, waId } = await insertThread(db, inbox, {
      lastInboundAt: new Date(Date.now() - 48 * HOUR),
    });
    const r = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "template", name: "order_update", language: "en_US", params: ["Maria", "#1042"] },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toMatchObject({
      type: "template",
      body: "Hello Maria, your order #1042 has shipped.",
      templateName: "order_update",
      templateLanguage: "en_US",
      templateCategory: "utility",
      templateParams: { params: ["Maria", "#1042"] },
    });
    const sent = await drainUntil(
      db,
      inbox,
      async () => {
        const m = await messageRow(db, r.message.id);
        return m.deliveredAt ? m : undefined;
      },
      "the template to be delivered",
    );
    expect(["delivered", "read"]).toContain(sent.status);
    const phone = await simSent(h, { to: waId });
    expect(phone).toHaveLength(1);
    expect(phone[0].payload).toMatchObject({
      type: "template",
      template: {
        name: "order_update",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Maria" },
              { type: "text", text: "#1042" },
            ],
          },
        ],
      },
    });
  });

  it("refuses templates that are not approved or do not exist", async () => {
    const { threadId } = await insertThread(db, inbox);
    const pending = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "template", name: "pending_promo", language: "en_US" },
    });
    expect(!pending.ok && pending.error.code).toBe("template_not_approved");
    expect(!pending.ok && pending.error.message).toBe(
      'Template "pending_promo" (en_US) is pending: only templates Meta approved can be sent.',
    );
    const missing = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "template", name: "no_such_template", language: "en_US" },
    });
    expect(!missing.ok && missing.error.code).toBe("template_not_approved");
    expect(await db.select().from(messages).where(eq(messages.threadId, threadId))).toEqual([]);
  });

  it("refuses a template with a missing variable, naming it", async () => {
    const { threadId } = await insertThread(db, inbox);
    const r = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "template", name: "order_update", params: ["Maria"] },
    });
    expect(!r.ok && r.error.code).toBe("template_params");
    expect(!r.ok && r.error.message).toBe('Template "order_update" needs a value for body {{2}}.');
  });

  it("marks a message Meta refuses with 131047 as failed, with the code and a sentence", async () => {
    // Our database believes the customer wrote an hour ago; Meta (the simulator) never saw it.
    const { threadId } = await insertThread(db, inbox, { lastInboundAt: new Date(Date.now() - HOUR) });
    const r = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "text", text: "Hello again" },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const failed = await drainUntil(
      db,
      inbox,
      async () => {
        const m = await messageRow(db, r.message.id);
        return m.status === "failed" ? m : undefined;
      },
      "the message to fail",
    );
    expect(failed.errorCode).toBe(131047);
    expect(failed.errorText).toMatch(/More than 24 hours have passed/);
    expect(failed.failedAt).toBeInstanceOf(Date);
    expect(failed.attempts).toBe(1);
    expect(failed.nextAttemptAt).toBeNull();

    // The agent retries: queued again from scratch; a second retry while pending is refused.
    const retried = await retryFailedMessage(db, { messageId: r.message.id, actor: agent() });
    expect(retried.ok && retried.message).toMatchObject({ status: "pending", attempts: 0, errorCode: null });
    const again = await retryFailedMessage(db, { messageId: r.message.id, actor: agent() });
    expect(!again.ok && again.error.code).toBe("conflict");
    await drainUntil(
      db,
      inbox,
      async () => (await messageRow(db, r.message.id)).status === "failed",
      "the retried message to fail again",
    );
  });

  it("stores private notes without sending them", async () => {
    const { threadId, waId } = await insertThread(db, inbox, { lastInboundAt: null });
    const r = await sendMessage(db, {
      threadId,
      actor: agent(),
      input: { type: "note", text: "VIP, be nice" },
    });
    expect(r.ok && r.message).toMatchObject({ type: "note", status: "note", body: "VIP, be nice" });
    await drainUntil(db, inbox, async () => true, "a drain");
    expect(await simSent(h, { to: waId })).toEqual([]);
  });

  it("returns the first message for a retried client id", async () => {
    const { threadId } = await insertThread(db, inbox, { lastInboundAt: new Date() });
    const clientId = `client-${crypto.randomUUID()}`;
    const input = { type: "text" as const, text: "Once" };
    const [a, b] = await Promise.all([
      sendMessage(db, { threadId, actor: agent(), input, clientId }),
      sendMessage(db, { threadId, actor: agent(), input, clientId }),
    ]);
    expect(a.ok && b.ok && a.message.id === b.message.id).toBe(true);
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.threadId, threadId)));
    expect(rows).toHaveLength(1);
  });

  it("lets only the assignee reply when the workspace says so", async () => {
    const { threadId } = await insertThread(db, inbox, { lastInboundAt: new Date(), assigneeId: null });
    // The settings row is shared with other test files: switch the option on inside a
    // transaction that is rolled back, so no one else ever sees it.
    type R = Awaited<ReturnType<typeof sendMessage>>;
    let unassigned: R | undefined;
    let assigned: R | undefined;
    let supervisor: R | undefined;
    await db
      .transaction(async (tx) => {
        await tx
          .insert(workspaceSettings)
          .values({ id: 1, onlyAssigneeMayReply: true })
          .onConflictDoUpdate({ target: workspaceSettings.id, set: { onlyAssigneeMayReply: true } });
        const asTx = tx as unknown as typeof db; // sendMessage nests its transaction as a savepoint
        const text = { type: "text" as const, text: "Hi" };
        unassigned = await sendMessage(asTx, { threadId, actor: agent(), input: text });
        await tx.update(threads).set({ assigneeId: agentId }).where(eq(threads.id, threadId));
        assigned = await sendMessage(asTx, { threadId, actor: agent(), input: text });
        await tx.update(threads).set({ assigneeId: null }).where(eq(threads.id, threadId));
        supervisor = await sendMessage(asTx, {
          threadId,
          actor: { userId: null, role: "supervisor" },
          input: text,
        });
        tx.rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof TransactionRollbackError)) throw err;
      });
    if (!unassigned || !assigned || !supervisor) throw new Error("the sends did not run");
    expect(!unassigned.ok && unassigned.error.code).toBe("assignee_only");
    expect(!unassigned.ok && unassigned.error.message).toBe(
      "Assign this conversation to yourself before replying.",
    );
    expect(assigned.ok).toBe(true);
    expect(supervisor.ok).toBe(true);
  });
});

describe("template endpoints against the simulator", () => {
  it("creates, lists and deletes a template", async () => {
    const cfg = { accessToken: "test-access-token" };
    const created = await createTemplate(cfg, inbox.wabaId, {
      name: "graph_client_check",
      language: "en_US",
      category: "UTILITY",
      components: [{ type: "BODY", text: "Your code {{1}}", example: { body_text: [["42"]] } }],
    });
    expect(created).toMatchObject({ ok: true, status: "PENDING" });
    await waitFor(async () => {
      const r = await listTemplates(cfg, inbox.wabaId, { name: "graph_client_check" });
      return r.ok && r.templates.some((t) => t.status === "APPROVED");
    }, "approval");
    expect(await deleteTemplate(cfg, inbox.wabaId, { name: "graph_client_check" })).toEqual({ ok: true });
    const after = await listTemplates(cfg, inbox.wabaId, { name: "graph_client_check" });
    expect(after.ok && after.templates).toEqual([]);
  });
});
