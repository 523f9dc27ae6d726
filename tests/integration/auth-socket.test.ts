import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { type Socket as BaseSocket, io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { threads, users } from "../../db/schema";
import { env } from "../../lib/env";
import type { IoServer } from "../../lib/realtime/emit";
import type { ClientToServerEvents, ServerToClientEvents } from "../../lib/realtime/events";
import { attachRealtime, sessionTokenFromCookies, userFromHandshake } from "../../lib/realtime/server";
import { claimThread } from "../../lib/services/threads";
import { makeInbox, makeThread, makeUser } from "./threads-fixtures";

/**
 * Socket.IO authenticates with the Auth.js session cookie, puts each user in
 * the rooms of the inboxes they may see, and announces window expiries.
 */
const COOKIE = "authjs.session-token";
type Socket = BaseSocket<ServerToClientEvents, ClientToServerEvents>;

async function cookieFor(userId: string, name = COOKIE, maxAgeS = 3600) {
  const token = await encode({
    token: { uid: userId, sub: userId },
    secret: env().AUTH_SECRET,
    salt: name,
    maxAge: maxAgeS,
  });
  return `${name}=${token}`;
}

describe("socket authentication", () => {
  const db = getDb();

  it("reads the session from the cookie (whole or chunked) and only for active users", async () => {
    const u = await makeUser(db, "agent");
    expect(await userFromHandshake(await cookieFor(u.id))).toMatchObject({ id: u.id, role: "agent" });
    expect(
      await userFromHandshake(`other=1; ${await cookieFor(u.id, "__Secure-authjs.session-token")}`),
    ).toMatchObject({
      id: u.id,
    });
    const token = (await cookieFor(u.id)).split("=")[1];
    const chunked = `${COOKIE}.1=${token.slice(40)}; ${COOKIE}.0=${token.slice(0, 40)}`;
    expect(sessionTokenFromCookies(chunked)).toEqual({ name: COOKIE, token });
    expect(await userFromHandshake(chunked)).toMatchObject({ id: u.id });

    expect(await userFromHandshake(undefined)).toBeNull();
    expect(await userFromHandshake(`${COOKIE}=garbage`)).toBeNull();
    // A token sealed under another cookie name (salt) does not verify.
    const wrongSalt = (await cookieFor(u.id, "__Secure-authjs.session-token")).split("=")[1];
    expect(await userFromHandshake(`${COOKIE}=${wrongSalt}`)).toBeNull();
    await db.update(users).set({ active: false }).where(eq(users.id, u.id));
    expect(await userFromHandshake(await cookieFor(u.id))).toBeNull();
  });
});

describe("live rooms and the window-expiry announcer", () => {
  const db = getDb();
  let server: http.Server;
  let io: IoServer;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = http.createServer();
    io = await attachRealtime(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await new Promise<void>((r) => io.close(() => r()));
  });

  function open(cookie?: string): Promise<Socket> {
    const s: Socket = connect(url, {
      transports: ["websocket"],
      extraHeaders: cookie ? { cookie } : {},
      reconnection: false,
    });
    sockets.push(s);
    return new Promise((resolve, reject) => {
      s.on("connect", () => resolve(s));
      s.on("connect_error", (e) => reject(e));
    });
  }

  it("refuses sockets without a valid session", async () => {
    await expect(open()).rejects.toThrow("unauthorized");
    await expect(open(`${COOKIE}=forged`)).rejects.toThrow("unauthorized");
  });

  it("delivers inbox events only to members; thread rooms need access; viewers are announced", async () => {
    const member = await makeUser(db, "agent", { name: "Member" });
    const outsider = await makeUser(db, "agent", { name: "Outsider" });
    const inbox = await makeInbox(db, [member]);
    const { thread } = await makeThread(db, inbox.id);
    const a = await open(await cookieFor(member.id));
    const b = await open(await cookieFor(outsider.id));
    const seenByB: string[] = [];
    b.on("thread:upsert", (s) => seenByB.push(s.id));

    const upsert = new Promise<{ id: string; assigneeId: string | null }>((r) => a.on("thread:upsert", r));
    // Sockets join their rooms right after connecting; give the server a moment.
    await new Promise((r) => setTimeout(r, 200));
    await claimThread(db, member, thread.id);
    expect(await upsert).toMatchObject({ id: thread.id, assigneeId: member.id });

    expect(await a.emitWithAck("thread:join", thread.id)).toBe(true);
    expect(await b.emitWithAck("thread:join", thread.id)).toBe(false);
    expect(await b.emitWithAck("thread:join", "not-a-uuid")).toBe(false);

    const typing = new Promise<unknown>((r) =>
      a.on("thread:viewers", (e) => {
        if (e.viewers.some((v) => v.typing)) r(e);
      }),
    );
    a.emit("thread:typing", { threadId: thread.id, typing: true });
    expect(await typing).toEqual({
      threadId: thread.id,
      viewers: [{ userId: member.id, name: "Member", typing: true }],
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(seenByB).toEqual([]);
  });

  it("emits thread:window when a CSW expires, at the stored instant", async () => {
    const agent = await makeUser(db, "agent");
    const inbox = await makeInbox(db, [agent]);
    const { thread } = await makeThread(db, inbox.id);
    const expiresAt = new Date(Date.now() + 1500);
    await db.update(threads).set({ cswExpiresAt: expiresAt }).where(eq(threads.id, thread.id));
    const s = await open(await cookieFor(agent.id));
    // The announcer scans on start and every 30 s; a fresh attach scans now.
    const announcer = (await import("../../lib/realtime/window-announcer")).startWindowAnnouncer(io, {
      intervalMs: 60_000,
    });
    const event = await new Promise<{ threadId: string; kind: string; expiresAt: string | null }>((resolve) =>
      s.on("thread:window", (e) => {
        if (e.threadId === thread.id) resolve(e);
      }),
    );
    const lateMs = Date.now() - expiresAt.getTime();
    announcer.stop();
    expect(event).toMatchObject({ threadId: thread.id, kind: "csw", expiresAt: expiresAt.toISOString() });
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1000);
  });

  it("does not announce a window that a new customer message pushed out", async () => {
    const agent = await makeUser(db, "agent");
    const inbox = await makeInbox(db, [agent]);
    const { thread } = await makeThread(db, inbox.id);
    await db
      .update(threads)
      .set({ cswExpiresAt: new Date(Date.now() + 800) })
      .where(eq(threads.id, thread.id));
    const s = await open(await cookieFor(agent.id));
    const got: unknown[] = [];
    s.on("thread:window", (e) => {
      if (e.threadId === thread.id) got.push(e);
    });
    const announcer = (await import("../../lib/realtime/window-announcer")).startWindowAnnouncer(io, {
      intervalMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 200));
    await db
      .update(threads)
      .set({ cswExpiresAt: new Date(Date.now() + 24 * 3600_000) })
      .where(eq(threads.id, thread.id));
    await new Promise((r) => setTimeout(r, 1200));
    announcer.stop();
    expect(got).toEqual([]);
  });
});
