import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client";
import { threads, windowAnnouncements } from "../../db/schema";
import type { IoServer } from "../../lib/realtime/emit";
import { rooms } from "../../lib/realtime/events";
import { startWindowAnnouncer } from "../../lib/realtime/window-announcer";
import { type PrivateDb, privateDatabase } from "./helpers/private-db";
import { makeInbox, makeThread } from "./threads-fixtures";

type WindowEvent = { threadId: string; inboxId: string; kind: "csw" | "fep"; expiresAt: string | null };

/** An io that records `thread:window` broadcasts (to the adapter or to local sockets) and when they left. */
function recordingIo() {
  const sent: Array<WindowEvent & { rooms: string[]; local: boolean; atMs: number }> = [];
  const to = (local: boolean) => (r: string | string[]) => ({
    emit: (_event: string, e: WindowEvent) => {
      sent.push({ ...e, rooms: [r].flat(), local, atMs: Date.now() });
      return true;
    },
  });
  const io = { to: to(false), local: { to: to(true) } } as unknown as IoServer;
  return { io, sent };
}

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

/**
 * Expiries that fall due together are re-read and claimed in one statement:
 * with two announcers sharing the database each is announced exactly once,
 * and one that a new customer message moved is not announced at all.
 */
describe("window announcer, expiries due at the same instant", () => {
  // A database of its own: announcers of test files running in parallel (auth-socket's, on the
  // shared one) would otherwise claim these expiries first.
  let pdb: PrivateDb;
  let db: Db;
  beforeAll(async () => {
    pdb = await privateDatabase("announcer_batch");
    db = pdb.db;
  });
  afterAll(async () => {
    await pdb?.drop();
  });

  it("announces each of several same-instant expiries once across two announcers, not a moved one", async () => {
    const inbox = await makeInbox(db);
    const made = await Promise.all(Array.from({ length: 6 }, () => makeThread(db, inbox.id)));
    const ids = made.map((m) => m.thread.id);
    const at = new Date(Date.now() + 1_500);
    await db.update(threads).set({ cswExpiresAt: at }).where(inArray(threads.id, ids));
    // Thread 0's free-entry-point window ends at the same instant: a second expiry of the same thread.
    await db.update(threads).set({ fepExpiresAt: at }).where(eq(threads.id, ids[0]));

    const a = recordingIo();
    const b = recordingIo();
    const announcers = [a, b].map((r) =>
      startWindowAnnouncer(r.io, { intervalMs: 60_000, shared: true, db: () => db }),
    );
    try {
      await Promise.all(announcers.map((x) => x.scan()));
      expect(announcers.map((x) => x.pending())).toEqual([7, 7]);

      // Thread 5's customer wrote again: its window now closes tomorrow.
      const moved = ids[5];
      await db
        .update(threads)
        .set({ cswExpiresAt: new Date(Date.now() + 24 * 3600_000) })
        .where(eq(threads.id, moved));

      await sleepUntil(at.getTime() + 1_500);
      const sent = [...a.sent, ...b.sent];
      const expected = [...ids.slice(0, 5).map((threadId) => `${threadId}:csw`), `${ids[0]}:fep`].sort();
      expect(sent.map((e) => `${e.threadId}:${e.kind}`).sort()).toEqual(expected);
      for (const e of sent) {
        expect(e).toMatchObject({ inboxId: inbox.id, expiresAt: at.toISOString(), local: false });
        expect(e.rooms).toEqual([rooms.inbox(inbox.id), rooms.thread(e.threadId)]);
        expect(e.atMs - at.getTime()).toBeLessThan(1_000);
      }
      expect(announcers.map((x) => x.pending())).toEqual([0, 0]);

      const claims = await db
        .select({ threadId: windowAnnouncements.threadId, kind: windowAnnouncements.kind })
        .from(windowAnnouncements)
        .where(inArray(windowAnnouncements.threadId, ids));
      expect(claims.map((c) => `${c.threadId}:${c.kind}`).sort()).toEqual(expected);
    } finally {
      for (const x of announcers) x.stop();
    }
  });

  it("alone (no adapter), emits still-due expiries to its own sockets and skips a moved one", async () => {
    const inbox = await makeInbox(db);
    const made = await Promise.all(Array.from({ length: 3 }, () => makeThread(db, inbox.id)));
    const ids = made.map((m) => m.thread.id);
    const at = new Date(Date.now() + 1_200);
    await db.update(threads).set({ cswExpiresAt: at }).where(inArray(threads.id, ids));

    const r = recordingIo();
    const announcer = startWindowAnnouncer(r.io, { intervalMs: 60_000, db: () => db });
    try {
      await announcer.scan();
      expect(announcer.pending()).toBe(3);
      await db
        .update(threads)
        .set({ cswExpiresAt: new Date(Date.now() + 24 * 3600_000) })
        .where(eq(threads.id, ids[2]));

      await sleepUntil(at.getTime() + 1_200);
      expect(r.sent.map((e) => e.threadId).sort()).toEqual(ids.slice(0, 2).sort());
      expect(r.sent.every((e) => e.local && e.expiresAt === at.toISOString())).toBe(true);
      const claims = await db
        .select()
        .from(windowAnnouncements)
        .where(inArray(windowAnnouncements.threadId, ids));
      expect(claims).toEqual([]);
    } finally {
      announcer.stop();
    }
  });
});
