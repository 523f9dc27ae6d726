import { encode } from "next-auth/jwt";
import type postgres from "postgres";
import { io as connect, type Socket } from "socket.io-client";
import { unpackEventBatches } from "../../lib/realtime/events";

/**
 * Agents for the socket benchmarks: user rows made in SQL, session cookies
 * sealed the way Auth.js seals them (cookie name = salt), and socket.io-client
 * connections over WebSocket, as a browser tab opens them.
 */
export const SESSION_COOKIE = "authjs.session-token";

/** `count` active users of `role`, members of `inboxIds[i % inboxIds.length]` (agents) — ids in order. */
export async function createUsers(
  sql: postgres.Sql,
  count: number,
  role: "agent" | "supervisor",
  inboxIds: string[],
  tag: string = role,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash, role)
    select ${tag} || '-' || g || '@bench.local', ${tag} || ' ' || g, 'x', ${role}::role
      from generate_series(1, ${count}) g
    order by g
    returning id`;
  const ids = rows.map((r) => r.id);
  if (role === "agent" && inboxIds.length) {
    const inboxOf = ids.map((_, i) => inboxIds[i % inboxIds.length]);
    await sql`
      insert into inbox_members (inbox_id, user_id)
      select * from unnest(${inboxOf}::uuid[], ${ids}::uuid[])`;
  }
  return ids;
}

export async function sessionCookie(userId: string, secret: string, role = "agent"): Promise<string> {
  const token = await encode({
    token: { uid: userId, sub: userId, role, name: `User ${userId.slice(0, 4)}` },
    secret,
    salt: SESSION_COOKIE,
    maxAge: 3600,
  });
  return `${SESSION_COOKIE}=${token}`;
}

export function connectSocket(url: string, cookie: string, timeoutMs = 30_000): Promise<Socket> {
  const socket = connect(url, {
    transports: ["websocket"],
    extraHeaders: { cookie },
    reconnection: false,
    forceNew: true,
  });
  unpackEventBatches(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error("socket connect timeout"));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Connects many sockets, `parallel` handshakes at a time. */
export async function connectMany(url: string, cookies: string[], parallel = 20): Promise<Socket[]> {
  const out: Socket[] = new Array(cookies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < cookies.length; i = next++) out[i] = await connectSocket(url, cookies[i]);
    }),
  );
  return out;
}

/**
 * Stops reading from a connected socket: its TCP stream is paused, so the
 * kernel buffers fill and the server has to hold (or drop) what it sends —
 * a browser tab on a frozen laptop.
 */
export function stopReading(socket: Socket) {
  // biome-ignore lint/suspicious/noExplicitAny: engine.io-client's transport internals are not typed
  const ws = (socket.io.engine as any).transport?.ws;
  const tcp = ws?._socket;
  if (!tcp?.pause) throw new Error("cannot reach the socket's TCP stream");
  tcp.pause();
}
