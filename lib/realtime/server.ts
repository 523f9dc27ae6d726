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
/**
 * Per-socket state, plain objects so it survives serialisation if another
 * instance ever reads it (RemoteSocket.data). `viewing`: threadId → inboxId of
 * the threads this socket has open; `typingUntil`: threadId → epoch ms until
 * which its "typing" flag holds.
 */
type SocketData = {
  user: SocketUser;
  viewing: Record<string, string>;
  typingUntil: Record<string, number>;
};

type OnlineUser = { userId: string; name: string };
type Viewer = { userId: string; name: string; typing: boolean };
/** What one instance is asked about its own sockets. */
type CollectQuery = { presence: boolean; threadIds: string[] };
/** One instance's answer: its online users (if asked) and the viewers of each asked thread. */
type CollectAnswer = { online: OnlineUser[]; viewers: Record<string, Viewer[]> };
/** A change on one instance: presence, and/or the viewers of these threads ([threadId, inboxId]). */
type Change = { presence: boolean; threads: [string, string][] };

/** Between instances, through the adapter (serverSideEmit): never seen by browsers. */
type InterServerEvents = {
  "realtime:changed": (c: Change) => void;
  "realtime:collect": (q: CollectQuery, ack: (a: CollectAnswer) => void) => void;
};

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** A stale "typing" flag clears itself after this long without a new keystroke event (ms). */
const TYPING_TTL_MS = 6_000;
/** Changes within this window are recomputed together (ms). */
const RECOMPUTE_DEBOUNCE_MS = 100;
/** After a failed cluster-wide collect (an instance not answering), try again this much later (ms). */
const RECOMPUTE_RETRY_MS = 1_000;
/**
 * Every instance re-checks presence and open viewer lists this often (ms), so
 * the sockets of an instance that died without a goodbye drop out once the
 * adapter's heartbeat (10 s) has given up on it.
 */
const PRESENCE_SWEEP_MS = 10_000;

/** Online users from every instance's answer: one entry per user, sorted by name. */
function mergeOnline(answers: { online: OnlineUser[] }[]): OnlineUser[] {
  const byUser = new Map<string, OnlineUser>();
  for (const a of answers) for (const u of a.online) byUser.set(u.userId, u);
  return [...byUser.values()].sort(
    (x, y) => x.name.localeCompare(y.name) || x.userId.localeCompare(y.userId),
  );
}

/** A thread's viewers from every instance's answer: one entry per user (typing in any tab), sorted by name. */
function mergeViewers(answers: { viewers: Record<string, Viewer[]> }[], threadId: string): Viewer[] {
  const byUser = new Map<string, Viewer>();
  for (const a of answers)
    for (const v of a.viewers[threadId] ?? []) {
      const prev = byUser.get(v.userId);
      byUser.set(v.userId, { ...v, typing: v.typing || Boolean(prev?.typing) });
    }
  return [...byUser.values()].sort(
    (x, y) => x.name.localeCompare(y.name) || x.userId.localeCompare(y.userId),
  );
}

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
 *
 * Presence and viewers are cluster-wide: each instance knows only its own
 * sockets (their rooms and `socket.data`), so on a change it tells the others
 * (`serverSideEmit("realtime:changed")`), and every instance then asks all the
 * others for their part (`serverSideEmitWithAck("realtime:collect")`), merges
 * the answers and emits the result to its own sockets only (`io.local`). Each
 * instance's last emit therefore follows the last change it heard of, whatever
 * order the instances' messages cross in.
 */
export async function attachRealtime(
  httpServer: http.Server,
  opts: { windowScanMs?: number } = {},
): Promise<IoServer> {
  const io: AppServer = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(
    httpServer,
    { serveClient: false, pingInterval: 20_000, pingTimeout: 20_000 },
  );
  // With the adapter, `io.to(room).emit` reaches agents on every instance (see adapter.ts).
  const endAdapter = env().REALTIME_ADAPTER === "postgres" ? attachPostgresAdapter(io, databaseUrl()) : null;
  const shared = endAdapter !== null;
  setIo(io);

  io.use(async (socket, next) => {
    const user = await userFromHandshake(socket.handshake.headers.cookie);
    if (!user) {
      log.warn("realtime.unauthenticated", { address: socket.handshake.address });
      return next(new Error("unauthorized"));
    }
    socket.data.user = user;
    socket.data.viewing = {};
    socket.data.typingUntil = {};
    next();
  });

  /** This instance's part of the answer, from its own sockets' rooms and data. */
  function localAnswer(q: CollectQuery): CollectAnswer {
    const nsp = io.of("/");
    const now = Date.now();
    const online: OnlineUser[] = [];
    // A socket counts once it has joined its rooms (the user room is the last one it gets).
    if (q.presence)
      for (const s of nsp.sockets.values())
        if (s.rooms.has(rooms.user(s.data.user.id)))
          online.push({ userId: s.data.user.id, name: s.data.user.name });
    const viewers: Record<string, Viewer[]> = {};
    for (const threadId of q.threadIds) {
      viewers[threadId] = [];
      for (const id of nsp.adapter.rooms.get(rooms.thread(threadId)) ?? []) {
        const s = nsp.sockets.get(id);
        if (!s) continue;
        const typing = (s.data.typingUntil[threadId] ?? 0) > now;
        viewers[threadId].push({ userId: s.data.user.id, name: s.data.user.name, typing });
      }
    }
    return { online: mergeOnline([{ online }]), viewers };
  }

  /** Every instance's answer; rejects if one does not answer in time (the adapter's 5 s). */
  async function collect(q: CollectQuery): Promise<CollectAnswer[]> {
    const mine = localAnswer(q);
    if (!shared) return [mine];
    const theirs = await io.serverSideEmitWithAck("realtime:collect", q);
    return [mine, ...theirs];
  }

  io.on("realtime:collect", (q, ack) => {
    const threadIds = Array.isArray(q?.threadIds) ? q.threadIds.filter((t) => typeof t === "string") : [];
    ack(localAnswer({ presence: Boolean(q?.presence), threadIds }));
  });

  // What to recompute next. "always" (after a change): emit even if unchanged, so sockets that just
  // joined get the list; "check" (sweep): emit only what differs from what this instance last sent.
  let presenceDue: "none" | "check" | "always" = "none";
  let threadsDue = new Map<string, { inboxId: string; always: boolean }>();
  // What this instance last emitted to its own sockets; threads leave the map once nobody views them.
  let sentPresence: string | null = null;
  const sentViewers = new Map<string, { inboxId: string; json: string }>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closed = false;

  function due(
    presence: typeof presenceDue,
    threads: Iterable<[string, { inboxId: string; always: boolean }]>,
  ) {
    const rank = { none: 0, check: 1, always: 2 } as const;
    if (rank[presence] > rank[presenceDue]) presenceDue = presence;
    for (const [threadId, d] of threads) {
      const prev = threadsDue.get(threadId);
      threadsDue.set(threadId, { inboxId: d.inboxId, always: d.always || Boolean(prev?.always) });
    }
  }

  function schedule(delayMs: number) {
    if (timer || running || closed) return;
    timer = setTimeout(() => void recompute(), delayMs);
    timer.unref();
  }

  function noteChange(c: Change) {
    due(
      c.presence ? "always" : "none",
      c.threads.map(([threadId, inboxId]) => [threadId, { inboxId, always: true }]),
    );
    schedule(RECOMPUTE_DEBOUNCE_MS);
  }

  /** A change on this instance: recompute here and tell the others to do the same. */
  function changed(c: Change) {
    noteChange(c);
    if (shared) io.serverSideEmit("realtime:changed", c);
  }

  io.on("realtime:changed", (c) => {
    if (!c || typeof c !== "object") return;
    const threads = Array.isArray(c.threads)
      ? c.threads.filter(
          (t): t is [string, string] => Array.isArray(t) && t.every((x) => typeof x === "string"),
        )
      : [];
    noteChange({ presence: Boolean(c.presence), threads });
  });

  function publishPresence(online: OnlineUser[], always: boolean) {
    const json = JSON.stringify(online);
    if (!always && json === sentPresence) return;
    sentPresence = json;
    io.local.emit("presence:update", { online });
  }

  function publishViewers(threadId: string, inboxId: string, viewers: Viewer[], always: boolean) {
    const json = JSON.stringify(viewers);
    if (!always && json === sentViewers.get(threadId)?.json) return;
    if (viewers.length) sentViewers.set(threadId, { inboxId, json });
    else sentViewers.delete(threadId);
    io.local.to([rooms.inbox(inboxId), rooms.thread(threadId)]).emit("thread:viewers", { threadId, viewers });
  }

  /** One cluster-wide collect for everything due, then emits to this instance's sockets. */
  async function recompute() {
    timer = undefined;
    if (closed) return;
    running = true;
    const presence = presenceDue;
    const threads = threadsDue;
    presenceDue = "none";
    threadsDue = new Map();
    let failed = false;
    try {
      const answers = await collect({ presence: presence !== "none", threadIds: [...threads.keys()] });
      if (closed) return;
      if (presence !== "none") publishPresence(mergeOnline(answers), presence === "always");
      for (const [threadId, d] of threads)
        publishViewers(threadId, d.inboxId, mergeViewers(answers, threadId), d.always);
    } catch (err) {
      // An instance that died is still counted until the adapter's heartbeat gives up on it.
      log.warn("realtime.presence_collect_failed", { error: String(err) });
      failed = true;
      due(presence, threads);
    } finally {
      running = false;
      if (presenceDue !== "none" || threadsDue.size > 0)
        schedule(failed ? RECOMPUTE_RETRY_MS : RECOMPUTE_DEBOUNCE_MS);
    }
  }

  const sweep = shared
    ? setInterval(() => {
        due(
          "check",
          [...sentViewers].map(([threadId, v]) => [threadId, { inboxId: v.inboxId, always: false }]),
        );
        schedule(0);
      }, PRESENCE_SWEEP_MS)
    : undefined;
  sweep?.unref();

  function leave(socket: AppSocket, threadId: string) {
    const inboxId = socket.data.viewing[threadId];
    if (!inboxId) return;
    delete socket.data.viewing[threadId];
    delete socket.data.typingUntil[threadId];
    void socket.leave(rooms.thread(threadId));
    changed({ presence: false, threads: [[threadId, inboxId]] });
  }

  io.on("connection", async (socket) => {
    const user = socket.data.user;
    try {
      const inboxIds = await accessibleInboxIds(getDb(), user);
      // The user room last: localAnswer counts a socket as online once it is in it.
      await socket.join([rooms.role(user.role), ...inboxIds.map(rooms.inbox), rooms.user(user.id)]);
    } catch (err) {
      log.error("realtime.join_failed", { userId: user.id, error: String(err) });
      socket.disconnect(true);
      return;
    }
    changed({ presence: true, threads: [] });

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
        if (!socket.connected) return ack?.(false);
        await socket.join(rooms.thread(threadId));
        socket.data.viewing[threadId] = t.inboxId;
        changed({ presence: false, threads: [[threadId, t.inboxId]] });
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
      const threadId = e.threadId;
      const inboxId = socket.data.viewing[threadId];
      if (!inboxId) return;
      const now = Date.now();
      const typing = Boolean(e.typing);
      const wasTyping = (socket.data.typingUntil[threadId] ?? 0) > now;
      if (typing) socket.data.typingUntil[threadId] = now + TYPING_TTL_MS;
      else delete socket.data.typingUntil[threadId];
      if (typing !== wasTyping) changed({ presence: false, threads: [[threadId, inboxId]] });
      if (typing) {
        setTimeout(() => {
          const until = socket.data.typingUntil[threadId];
          if (until !== undefined && until <= Date.now() && socket.data.viewing[threadId]) {
            delete socket.data.typingUntil[threadId];
            changed({ presence: false, threads: [[threadId, inboxId]] });
          }
        }, TYPING_TTL_MS + 50).unref();
      }
    });

    socket.on("disconnect", () => {
      // Socket.IO has already taken the socket out of its rooms: a recompute no longer sees it.
      const viewed = Object.entries(socket.data.viewing);
      socket.data.viewing = {};
      socket.data.typingUntil = {};
      changed({ presence: true, threads: viewed });
    });
  });

  // Shared adapter: each expiry is claimed by one instance and broadcast; alone: emitted locally.
  const announcer = startWindowAnnouncer(io, {
    shared,
    intervalMs: opts.windowScanMs,
  });
  httpServer.on("close", () => {
    closed = true;
    clearTimeout(timer);
    clearInterval(sweep);
    announcer.stop();
    void endAdapter?.();
  });
  log.info("realtime.attached");
  return io;
}
