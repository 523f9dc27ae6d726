import type http from "node:http";
import { eq } from "drizzle-orm";
import { decode } from "next-auth/jwt";
import { Server, type Socket } from "socket.io";
import { z } from "zod";
import { databaseUrl, getDb } from "../../db/client";
import { threads } from "../../db/schema";
import { SESSION_COOKIE_NAMES } from "../auth.config";
import type { Role } from "../domain";
import { env } from "../env";
import { log } from "../logger";
import { accessibleInboxIds, canAccessInbox } from "../services/access";
import { getActiveUser } from "../services/users";
import { attachPostgresAdapter } from "./adapter";
import { type IoServer, setIo } from "./emit";
import { type ClientToServerEvents, rooms, type ServerToClientEvents } from "./events";
import { startWindowAnnouncer } from "./window-announcer";

type SocketUser = { id: string; role: Role; name: string };
type SocketData = { user: SocketUser; threads: Map<string, string> };
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** A stale "typing" flag clears itself after this long without a new keystroke event (ms). */
const TYPING_TTL_MS = 6_000;

/** Cookie header → map of name → value (values URI-decoded, as browsers send them). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    const raw = part.slice(i + 1).trim();
    try {
      out.set(name, decodeURIComponent(raw));
    } catch {
      out.set(name, raw);
    }
  }
  return out;
}

/**
 * The Auth.js session token from a Cookie header, with the cookie name (also
 * the JWT's salt). Auth.js splits large cookies into `name.0`, `name.1`, ….
 */
export function sessionTokenFromCookies(header: string | undefined): { name: string; token: string } | null {
  const cookies = parseCookies(header);
  for (const name of SESSION_COOKIE_NAMES) {
    const whole = cookies.get(name);
    if (whole) return { name, token: whole };
    const chunks = [...cookies.entries()]
      .filter(([k]) => k.startsWith(`${name}.`) && /^\d+$/.test(k.slice(name.length + 1)))
      .sort(([a], [b]) => Number(a.slice(name.length + 1)) - Number(b.slice(name.length + 1)));
    if (chunks.length) return { name, token: chunks.map(([, v]) => v).join("") };
  }
  return null;
}

/** Verifies the session cookie of a socket handshake; returns the active user or null. */
export async function userFromHandshake(cookieHeader: string | undefined): Promise<SocketUser | null> {
  const found = sessionTokenFromCookies(cookieHeader);
  if (!found) return null;
  try {
    const payload = await decode({ token: found.token, secret: env().AUTH_SECRET, salt: found.name });
    const id = (payload?.uid ?? payload?.sub) as string | undefined;
    if (!id) return null;
    if (payload?.exp && payload.exp * 1000 < Date.now()) return null;
    const user = await getActiveUser(getDb(), id);
    return user ? { id: user.id, role: user.role, name: user.name } : null;
  } catch (err) {
    log.warn("realtime.bad_session_cookie", { error: String(err) });
    return null;
  }
}

/**
 * Socket.IO on the app's HTTP server. A socket must carry a valid session
 * cookie; it joins the rooms of the inboxes its user may see (all of them for
 * supervisors and admins), its user room, and — after an access check — the
 * rooms of the threads it opens. Tracks presence and who is viewing or typing
 * on each thread, and starts the window-expiry announcer.
 */
export async function attachRealtime(
  httpServer: http.Server,
  opts: { windowScanMs?: number } = {},
): Promise<IoServer> {
  const io: IoServer = new Server<
    ClientToServerEvents,
    ServerToClientEvents,
    Record<string, never>,
    SocketData
  >(httpServer, { serveClient: false, pingInterval: 20_000, pingTimeout: 20_000 });
  // With the adapter, `io.to(room).emit` reaches agents on every instance (see adapter.ts).
  const endAdapter = env().REALTIME_ADAPTER === "postgres" ? attachPostgresAdapter(io, databaseUrl()) : null;
  setIo(io);

  io.use(async (socket, next) => {
    const user = await userFromHandshake(socket.handshake.headers.cookie);
    if (!user) {
      log.warn("realtime.unauthenticated", { address: socket.handshake.address });
      return next(new Error("unauthorized"));
    }
    socket.data.user = user;
    socket.data.threads = new Map();
    next();
  });

  // userId → name and how many sockets (tabs) they have open on this instance.
  const online = new Map<string, { name: string; sockets: number }>();
  // threadId → socketId → who is looking, and whether they are typing.
  const viewers = new Map<
    string,
    Map<string, { userId: string; name: string; typing: boolean; until: number }>
  >();

  const broadcastPresence = () =>
    io.emit("presence:update", {
      online: [...online.entries()].map(([userId, v]) => ({ userId, name: v.name })),
    });

  function broadcastViewers(threadId: string, inboxId: string) {
    const now = Date.now();
    const byUser = new Map<string, { userId: string; name: string; typing: boolean }>();
    for (const v of viewers.get(threadId)?.values() ?? []) {
      const prev = byUser.get(v.userId);
      const typing = v.typing && v.until > now;
      byUser.set(v.userId, { userId: v.userId, name: v.name, typing: typing || Boolean(prev?.typing) });
    }
    io.to([rooms.inbox(inboxId), rooms.thread(threadId)]).emit("thread:viewers", {
      threadId,
      viewers: [...byUser.values()],
    });
  }

  function leave(socket: AppSocket, threadId: string) {
    const inboxId = socket.data.threads.get(threadId);
    if (!inboxId) return;
    socket.data.threads.delete(threadId);
    void socket.leave(rooms.thread(threadId));
    const map = viewers.get(threadId);
    map?.delete(socket.id);
    if (map && map.size === 0) viewers.delete(threadId);
    broadcastViewers(threadId, inboxId);
  }

  io.on("connection", async (raw) => {
    const socket = raw as AppSocket;
    const user = socket.data.user;
    try {
      const inboxIds = await accessibleInboxIds(getDb(), user);
      await socket.join([rooms.user(user.id), rooms.role(user.role), ...inboxIds.map(rooms.inbox)]);
    } catch (err) {
      log.error("realtime.join_failed", { userId: user.id, error: String(err) });
      socket.disconnect(true);
      return;
    }
    const entry = online.get(user.id) ?? { name: user.name, sockets: 0 };
    entry.sockets += 1;
    online.set(user.id, entry);
    broadcastPresence();

    socket.on("thread:join", async (threadId, ack) => {
      try {
        if (!z.string().uuid().safeParse(threadId).success) return ack?.(false);
        const [t] = await getDb()
          .select({ inboxId: threads.inboxId })
          .from(threads)
          .where(eq(threads.id, threadId));
        if (!t || !(await canAccessInbox(getDb(), user, t.inboxId))) {
          log.warn("realtime.thread_join_denied", { userId: user.id, threadId });
          return ack?.(false);
        }
        await socket.join(rooms.thread(threadId));
        socket.data.threads.set(threadId, t.inboxId);
        const map = viewers.get(threadId) ?? new Map();
        map.set(socket.id, { userId: user.id, name: user.name, typing: false, until: 0 });
        viewers.set(threadId, map);
        broadcastViewers(threadId, t.inboxId);
        ack?.(true);
      } catch (err) {
        log.error("realtime.thread_join_failed", { threadId, error: String(err) });
        ack?.(false);
      }
    });

    socket.on("thread:leave", (threadId) => {
      if (typeof threadId === "string") leave(socket, threadId);
    });

    socket.on("thread:typing", (e) => {
      if (!e || typeof e.threadId !== "string") return;
      const inboxId = socket.data.threads.get(e.threadId);
      const v = viewers.get(e.threadId)?.get(socket.id);
      if (!inboxId || !v) return;
      const typing = Boolean(e.typing);
      const changed = v.typing !== typing || (typing && v.until < Date.now());
      v.typing = typing;
      v.until = typing ? Date.now() + TYPING_TTL_MS : 0;
      if (changed) broadcastViewers(e.threadId, inboxId);
      if (typing) {
        setTimeout(() => {
          const cur = viewers.get(e.threadId)?.get(socket.id);
          if (cur?.typing && cur.until <= Date.now()) {
            cur.typing = false;
            broadcastViewers(e.threadId, inboxId);
          }
        }, TYPING_TTL_MS + 50).unref();
      }
    });

    socket.on("disconnect", () => {
      for (const threadId of [...socket.data.threads.keys()]) leave(socket, threadId);
      const cur = online.get(user.id);
      if (cur) {
        cur.sockets -= 1;
        if (cur.sockets <= 0) online.delete(user.id);
      }
      broadcastPresence();
    });
  });

  // Shared adapter: each expiry is claimed by one instance and broadcast; alone: emitted locally.
  const announcer = startWindowAnnouncer(io, { shared: endAdapter !== null, intervalMs: opts.windowScanMs });
  httpServer.on("close", () => {
    announcer.stop();
    void endAdapter?.();
  });
  log.info("realtime.attached");
  return io;
}
