import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { auditLog, threads } from "../../db/schema";
import {
  assignThread,
  claimThread,
  markThreadRead,
  setThreadStatus,
  wakeSnoozedThreads,
} from "../../lib/services/threads";
import { makeInbox, makeThread, makeUser } from "./threads-fixtures";

/** Claims, assignment, status and unread, asserted on the rows PostgreSQL holds afterwards. */
describe("assignment and status", () => {
  const db = getDb();
  let ana: Awaited<ReturnType<typeof makeUser>>;
  let bruno: Awaited<ReturnType<typeof makeUser>>;
  let outsider: Awaited<ReturnType<typeof makeUser>>;
  let supervisor: Awaited<ReturnType<typeof makeUser>>;
  let inboxId: string;

  beforeAll(async () => {
    ana = await makeUser(db, "agent", { name: "Ana" });
    bruno = await makeUser(db, "agent", { name: "Bruno" });
    outsider = await makeUser(db, "agent", { name: "Olga" });
    supervisor = await makeUser(db, "supervisor", { name: "Sam" });
    inboxId = (await makeInbox(db, [ana, bruno])).id;
  });

  const row = async (id: string) => (await db.select().from(threads).where(eq(threads.id, id)))[0];

  it("two agents claiming at once: exactly one wins, the other gets a Conflict naming the winner", async () => {
    for (let round = 0; round < 5; round++) {
      const { thread } = await makeThread(db, inboxId);
      const results = await Promise.allSettled([
        claimThread(db, ana, thread.id),
        claimThread(db, bruno, thread.id),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = (
        won[0] as PromiseFulfilledResult<{ assigneeId: string | null; assigneeName: string | null }>
      ).value;
      expect(lost[0].reason).toMatchObject({ code: "conflict", details: { assigneeId: winner.assigneeId } });
      expect(lost[0].reason.message).toContain(winner.assigneeName);
      expect((await row(thread.id)).assigneeId).toBe(winner.assigneeId);
    }
  });

  it("claiming a thread you already hold is a no-op; a non-member cannot claim", async () => {
    const { thread } = await makeThread(db, inboxId);
    await claimThread(db, ana, thread.id);
    expect((await claimThread(db, ana, thread.id)).assigneeId).toBe(ana.id);
    await expect(claimThread(db, outsider, thread.id)).rejects.toMatchObject({ code: "not_found" });
    const audit = await db.select().from(auditLog).where(eq(auditLog.targetId, thread.id));
    expect(audit.map((a) => a.action)).toEqual(["thread.claim"]);
  });

  it("transfer and unassign: the holder or a supervisor may; another agent may not", async () => {
    const { thread } = await makeThread(db, inboxId, { assigneeId: ana.id });
    await expect(assignThread(db, bruno, thread.id, bruno.id)).rejects.toMatchObject({ code: "forbidden" });
    expect((await assignThread(db, ana, thread.id, bruno.id)).assigneeName).toBe("Bruno");
    expect((await row(thread.id)).assigneeId).toBe(bruno.id);
    expect((await assignThread(db, supervisor, thread.id, null)).assigneeId).toBeNull();
    expect((await row(thread.id)).assigneeId).toBeNull();
    const actions = (await db.select().from(auditLog).where(eq(auditLog.targetId, thread.id))).map(
      (a) => a.action,
    );
    expect(actions).toEqual(["thread.transfer", "thread.unassign"]);
  });

  it("only members (or supervisors/admins) of the inbox can be assigned; stale screens get a Conflict", async () => {
    const { thread } = await makeThread(db, inboxId);
    await expect(assignThread(db, ana, thread.id, outsider.id)).rejects.toMatchObject({
      code: "invalid_input",
    });
    await expect(assignThread(db, ana, thread.id, "nope")).rejects.toMatchObject({ code: "invalid_input" });
    expect((await assignThread(db, ana, thread.id, supervisor.id)).assigneeId).toBe(supervisor.id);
    // Someone saw it unassigned and tries to give it to Bruno: the compare-and-set refuses.
    await expect(assignThread(db, supervisor, thread.id, bruno.id, null)).rejects.toMatchObject({
      code: "conflict",
    });
    expect((await row(thread.id)).assigneeId).toBe(supervisor.id);
  });

  it("status: resolve, reopen, snooze until a future time, and snoozed threads wake up", async () => {
    const { thread } = await makeThread(db, inboxId);
    expect((await setThreadStatus(db, ana, thread.id, { status: "resolved" })).status).toBe("resolved");
    expect((await setThreadStatus(db, ana, thread.id, { status: "open" })).status).toBe("open");
    await expect(setThreadStatus(db, ana, thread.id, { status: "snoozed" })).rejects.toMatchObject({
      code: "invalid_input",
    });
    const now = new Date();
    await expect(
      setThreadStatus(
        db,
        ana,
        thread.id,
        { status: "snoozed", snoozedUntil: new Date(now.getTime() - 1000) },
        now,
      ),
    ).rejects.toMatchObject({ code: "invalid_input" });
    await expect(setThreadStatus(db, ana, thread.id, { status: "bogus" as never })).rejects.toMatchObject({
      code: "invalid_input",
    });
    const until = new Date(now.getTime() + 60_000);
    await setThreadStatus(db, ana, thread.id, { status: "snoozed", snoozedUntil: until }, now);
    expect(await row(thread.id)).toMatchObject({ status: "snoozed", snoozedUntil: until });
    expect(await wakeSnoozedThreads(db, new Date(now.getTime() + 30_000))).not.toContain(thread.id);
    expect(await wakeSnoozedThreads(db, new Date(now.getTime() + 61_000))).toContain(thread.id);
    expect(await row(thread.id)).toMatchObject({ status: "open", snoozedUntil: null });
    await expect(setThreadStatus(db, outsider, thread.id, { status: "resolved" })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("mark read clears the unread badge", async () => {
    const { thread } = await makeThread(db, inboxId, { unread: 3 });
    await markThreadRead(db, bruno, thread.id);
    expect((await row(thread.id)).unreadCount).toBe(0);
    await expect(markThreadRead(db, outsider, thread.id)).rejects.toMatchObject({ code: "not_found" });
  });
});
