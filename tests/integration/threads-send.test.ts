import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { messages, threads } from "../../db/schema";
import { sendFromInbox } from "../../lib/services/inbox-send";
import { makeInbox, makeThread, makeUser } from "./threads-fixtures";

/**
 * The inbox's send path refuses what the UI would never send: other inboxes'
 * threads, malformed input, files outside the upload area, and free text once
 * the customer service window has closed — whatever the browser believes.
 */
describe("sending from the inbox", () => {
  const db = getDb();
  let agent: Awaited<ReturnType<typeof makeUser>>;
  let outsider: Awaited<ReturnType<typeof makeUser>>;
  let inboxId: string;

  beforeAll(async () => {
    agent = await makeUser(db, "agent", { name: "Agent" });
    outsider = await makeUser(db, "agent");
    inboxId = (await makeInbox(db, [agent])).id;
  });

  const count = async (threadId: string) =>
    (await db.select({ id: messages.id }).from(messages).where(eq(messages.threadId, threadId))).length;

  it("refuses free text once the window closed, with when it closed, and stores nothing", async () => {
    const { thread } = await makeThread(db, inboxId);
    const lastInboundAt = new Date(Date.now() - 24 * 3600_000 - 1000);
    await db.update(threads).set({ lastInboundAt }).where(eq(threads.id, thread.id));
    const before = await count(thread.id);
    const r = await sendFromInbox(
      db,
      agent,
      thread.id,
      { type: "text", text: "too late" },
      crypto.randomUUID(),
    );
    expect(r).toMatchObject({ ok: false, error: { code: "window_closed" } });
    if (!r.ok)
      expect(r.error.details?.closedAt).toBe(new Date(lastInboundAt.getTime() + 24 * 3600_000).toISOString());
    expect(await count(thread.id)).toBe(before);
  });

  it("does not reveal or touch threads of inboxes the agent is not a member of", async () => {
    const { thread } = await makeThread(db, inboxId);
    const r = await sendFromInbox(db, outsider, thread.id, { type: "note", text: "hi" });
    expect(r).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it.each([
    ["an unknown type", { type: "sticker", text: "x" }],
    ["text over WhatsApp's 4096 characters", { type: "text", text: "x".repeat(4097) }],
    ["a template without an id", { type: "template", params: ["a"] }],
    [
      "a media path outside the upload area",
      { type: "media", mediaKind: "document", mediaPath: "../../etc/passwd" },
    ],
  ])("refuses %s as invalid_input", async (_label, input) => {
    const { thread } = await makeThread(db, inboxId);
    expect(await sendFromInbox(db, agent, thread.id, input)).toMatchObject({
      ok: false,
      error: { code: "invalid_input" },
    });
  });

  it("stores a private note (never sent) and returns it as the conversation shows it", async () => {
    const { thread } = await makeThread(db, inboxId);
    const r = await sendFromInbox(
      db,
      agent,
      thread.id,
      { type: "note", text: "Customer is a VIP" },
      crypto.randomUUID(),
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.message).toMatchObject({
        type: "note",
        status: "note",
        body: "Customer is a VIP",
        senderName: "Agent",
      });
  });
});
