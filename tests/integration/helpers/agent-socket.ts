import crypto from "node:crypto";
import { encode } from "next-auth/jwt";
import { io as connect, type Socket } from "socket.io-client";
import type { DbOrTx } from "../../../db/client";
import { inboxMembers, users } from "../../../db/schema";
import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  unpackEventBatches,
} from "../../../lib/realtime/events";

/**
 * Agents for tests that talk to running instances over Socket.IO: a user row,
 * an Auth.js session cookie sealed the way the app seals it (name = salt, see
 * lib/auth.config.ts SESSION_COOKIE_NAMES) and a connected socket.io-client.
 */
export const SESSION_COOKIE = "authjs.session-token";

export type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** An active agent who is a member of `inboxIds` (so their sockets join those inbox rooms). */
export async function createAgent(db: DbOrTx, inboxIds: string[], role: "agent" | "supervisor" = "agent") {
  const tag = crypto.randomUUID().slice(0, 8);
  const [user] = await db
    .insert(users)
    .values({ email: `agent-${tag}@test.local`, name: `Agent ${tag}`, passwordHash: "x", role })
    .returning({ id: users.id, name: users.name });
  if (inboxIds.length)
    await db.insert(inboxMembers).values(inboxIds.map((inboxId) => ({ inboxId, userId: user.id })));
  return user;
}

/** `Cookie` header value carrying a session for `userId`. */
export async function sessionCookie(userId: string, secret = process.env.AUTH_SECRET ?? ""): Promise<string> {
  const token = await encode({
    token: { uid: userId, sub: userId },
    secret,
    salt: SESSION_COOKIE,
    maxAge: 3600,
  });
  return `${SESSION_COOKIE}=${token}`;
}

/** Connects over WebSocket with the cookie; resolves once the server accepted the handshake. */
export function connectAgent(url: string, cookie: string, timeoutMs = 20_000): Promise<AgentSocket> {
  const socket: AgentSocket = connect(url, {
    transports: ["websocket"],
    extraHeaders: { cookie },
    reconnection: false,
    forceNew: true,
  });
  unpackEventBatches(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`socket to ${url} did not connect in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** Records every payload of `event` the socket receives. */
export function record<E extends keyof ServerToClientEvents>(
  socket: AgentSocket,
  event: E,
): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const got: Array<Parameters<ServerToClientEvents[E]>[0]> = [];
  // biome-ignore lint/suspicious/noExplicitAny: Socket.IO's typed `on` does not accept a generic event name
  (socket as any).on(event, (payload: Parameters<ServerToClientEvents[E]>[0]) => got.push(payload));
  return got;
}

/** Polls `fn` until it returns a value (not undefined/false), or fails naming what it waited for. */
export async function until<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
