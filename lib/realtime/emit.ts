import type { Server } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "./events";

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents>;

// The io instance lives on globalThis: Next bundles route handlers with their own module copies.
const g = globalThis as { __waIo?: IoServer };

export function setIo(io: IoServer | undefined) {
  g.__waIo = io;
}

export function getIo(): IoServer | undefined {
  return g.__waIo;
}

/**
 * Emits to rooms after a commit. A no-op when no Socket.IO server runs in this
 * process (CLIs, tests without sockets), so services never depend on it.
 */
export function emitTo<E extends keyof ServerToClientEvents>(
  roomNames: string | string[],
  event: E,
  ...args: Parameters<ServerToClientEvents[E]>
) {
  const io = getIo();
  if (!io) return;
  // biome-ignore lint/suspicious/noExplicitAny: Socket.IO's emit typing does not accept a generic spread
  (io.to(roomNames) as any).emit(event, ...args);
}
