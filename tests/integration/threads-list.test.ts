import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { messages } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { accessibleInboxIds, canAccessInbox } from "../../lib/services/access";
import { getThreadForUser, listMessages, listThreads } from "../../lib/services/threads";
import { makeInbox, makeThread, makeUser, rnd } from "./threads-fixtures";

/** Who sees which threads, filters, search and keyset pagination, against real PostgreSQL. */
describe("thread list and access", () => {
  const db = getDb();
  let member: Awaited<ReturnType<typeof makeUser>>;
  let outsider: Awaited<ReturnType<typeof makeUser>>;
  let supervisor: Awaited<ReturnType<typeof makeUser>>;
  let inbox: Awaited<ReturnType<typeof makeInbox>>;
  let other: Awaited<ReturnType<typeof makeInbox>>;
  const tag = `zq${rnd()}`;
  const base = Date.now() - 3600_000;

  beforeAll(async () => {
    member = await makeUser(db, "agent");
    outsider = await makeUser(db, "agent");
    supervisor = await makeUser(db, "supervisor");
    inbox = await makeInbox(db, [member]);
    other = await makeInbox(db, [outsider]);
    for (let i = 0; i < 7; i++) {
      await makeThread(db, inbox.id, {
        name: `${tag} Person ${i}`,
        lastMessageAt: new Date(base + i * 1000),
        assigneeId: i === 0 ? member.id : null,
        status: i === 6 ? "resolved" : i === 5 ? "pending" : "open",
      });
    }
    await makeThread(db, other.id, { name: `${tag} Elsewhere`, lastMessageAt: new Date(base + 10_000) });
  });

  const names = (r: { threads: { contactName: string | null }[] }) => r.threads.map((t) => t.contactName);

  it("agents see only their inboxes' threads; supervisors see every inbox", async () => {
    expect(await accessibleInboxIds(db, member)).toEqual([inbox.id]);
    expect(await canAccessInbox(db, member, other.id)).toBe(false);
    expect(await canAccessInbox(db, supervisor, other.id)).toBe(true);

    const mine = await listThreads(db, member, { q: tag, status: "all" });
    expect(names(mine)).not.toContain(`${tag} Elsewhere`);
    expect(mine.threads).toHaveLength(7);
    const sup = await listThreads(db, supervisor, { q: tag, status: "all" });
    expect(names(sup)).toContain(`${tag} Elsewhere`);
  });

  it("sorts by last activity, newest first, and filters by view, status and inbox", async () => {
    const all = await listThreads(db, member, { q: tag, status: "all" });
    expect(names(all)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${tag} Person ${i}`));
    const active = await listThreads(db, member, { q: tag }); // default: open + pending
    expect(names(active)).toEqual([5, 4, 3, 2, 1, 0].map((i) => `${tag} Person ${i}`));
    expect(names(await listThreads(db, member, { q: tag, status: "pending" }))).toEqual([`${tag} Person 5`]);
    expect(names(await listThreads(db, member, { q: tag, view: "mine" }))).toEqual([`${tag} Person 0`]);
    expect(
      (await listThreads(db, member, { q: tag, view: "unassigned", status: "all" })).threads,
    ).toHaveLength(6);
    expect((await listThreads(db, supervisor, { q: tag, inboxId: other.id })).threads).toHaveLength(1);
  });

  it("pages with a cursor: no gaps, no repeats, stable under equal timestamps", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listThreads(db, member, { q: tag, status: "all", limit: 3, cursor });
      seen.push(...names(page).map(String));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${tag} Person ${i}`));
  });

  it("refuses a forged cursor with invalid_input", async () => {
    await expect(listThreads(db, member, { cursor: "bm90LWEtY3Vyc29y" })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("searches names, numbers and message text; % and _ are literal", async () => {
    const waId = `55${rnd()}`;
    const word = `parcel${rnd()}`;
    await makeThread(db, inbox.id, { name: "Zélia Searchable", waId, text: `Where is my ${word}?` });
    expect(names(await listThreads(db, member, { q: "zélia searchable" }))).toEqual(["Zélia Searchable"]);
    expect(names(await listThreads(db, member, { q: waId.slice(3, 11) }))).toEqual(["Zélia Searchable"]);
    expect(names(await listThreads(db, member, { q: word.toUpperCase() }))).toEqual(["Zélia Searchable"]);
    expect((await listThreads(db, member, { q: `${tag}%` })).threads).toHaveLength(0);
    // The outsider cannot find it at all.
    expect((await listThreads(db, outsider, { q: word })).threads).toHaveLength(0);
  });

  it("search by message text never shows a thread of an inbox the agent cannot see", async () => {
    const word = `invoice${rnd()}`;
    const hidden = `Hidden ${rnd()}`;
    await makeThread(db, other.id, { name: hidden, text: `Your ${word} is ready` });
    expect((await listThreads(db, member, { q: word, status: "all" })).threads).toHaveLength(0);
    expect(names(await listThreads(db, outsider, { q: word, status: "all" }))).toEqual([hidden]);
    // Nor does a reaction's text count as a match.
    const { thread } = await makeThread(db, inbox.id, { name: `Reacted ${rnd()}` });
    await db.insert(messages).values({
      threadId: thread.id,
      direction: "inbound",
      type: "reaction",
      body: word,
      status: "received",
    });
    expect((await listThreads(db, member, { q: word, status: "all" })).threads).toHaveLength(0);
  });

  it("1–2 character searches (no trigram index) match names and text, case-insensitively", async () => {
    const mine = await makeInbox(db, [member]);
    await makeThread(db, mine.id, { name: "Short Query", text: "Reply #ok to confirm" });
    await makeThread(db, mine.id, { name: "Nobody", text: "nothing here" });
    expect(names(await listThreads(db, member, { q: "#O", inboxId: mine.id }))).toEqual(["Short Query"]);
    expect(names(await listThreads(db, member, { q: "sH", inboxId: mine.id }))).toEqual(["Short Query"]);
  });

  it("a word in thousands of messages (past the index look-up's cap) still filters by inbox", async () => {
    const word = `common${rnd()}`;
    const chatty = `Chatty ${rnd()}`;
    const { thread: hidden } = await makeThread(db, other.id, { name: chatty });
    await db.insert(messages).values(
      Array.from({ length: 5001 }, (_, i) => ({
        threadId: hidden.id,
        direction: "inbound" as const,
        type: "text",
        body: `${word} ${i}`,
        status: "received" as const,
      })),
    );
    const once = `Once ${rnd()}`;
    await makeThread(db, inbox.id, { name: once, text: `just one ${word.toUpperCase()}` });
    expect(names(await listThreads(db, member, { q: word, status: "all" }))).toEqual([once]);
    const sup = names(await listThreads(db, supervisor, { q: word, status: "all" }));
    expect(sup.sort()).toEqual([chatty, once].sort());
  });

  it("hides threads of other inboxes as not_found (their existence is not revealed)", async () => {
    const { thread } = await makeThread(db, other.id);
    await expect(getThreadForUser(db, member, thread.id)).rejects.toBeInstanceOf(AppError);
    await expect(getThreadForUser(db, member, thread.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getThreadForUser(db, member, "not-a-uuid")).rejects.toMatchObject({ code: "not_found" });
    expect((await getThreadForUser(db, outsider, thread.id)).id).toBe(thread.id);
  });

  it("messages: newest page first, older pages by cursor, reactions folded in, replies quoted", async () => {
    const { thread } = await makeThread(db, inbox.id);
    const t0 = Date.now() - 600_000;
    const wamids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const wamid = `wamid.m${rnd()}${i}`;
      wamids.push(wamid);
      await db.insert(messages).values({
        threadId: thread.id,
        direction: i % 2 ? "outbound" : "inbound",
        type: "text",
        body: `message ${i}`,
        status: i % 2 ? "delivered" : "received",
        wamid,
        at: new Date(t0 + i * 1000),
        replyToWamid: i === 4 ? wamids[1] : null,
      });
    }
    await db.insert(messages).values([
      {
        threadId: thread.id,
        direction: "inbound",
        type: "reaction",
        payload: { message_id: wamids[3], emoji: "👍" },
        status: "received",
        at: new Date(t0 + 10_000),
      },
      {
        threadId: thread.id,
        direction: "inbound",
        type: "reaction",
        payload: { message_id: wamids[3], emoji: "❤️" },
        status: "received",
        at: new Date(t0 + 11_000),
      },
    ]);
    const first = await listMessages(db, thread.id, { limit: 3 });
    expect(first.messages.map((m) => m.body)).toEqual(["message 2", "message 3", "message 4"]);
    expect(first.messages.find((m) => m.body === "message 3")?.reactions).toEqual([
      { emoji: "❤️", direction: "inbound" },
    ]);
    expect(first.messages.find((m) => m.body === "message 4")?.replyTo?.body).toBe("message 1");
    const older = await listMessages(db, thread.id, { limit: 3, before: first.olderCursor! });
    expect(older.messages.map((m) => m.body)).toEqual(["message 0", "message 1"]);
    expect(older.olderCursor).toBeNull();
    // Reactions are not messages of their own.
    const count = await db.select().from(messages).where(eq(messages.threadId, thread.id));
    expect(count).toHaveLength(7);
  });
});
