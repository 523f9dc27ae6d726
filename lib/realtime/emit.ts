import type { Server } from "socket.io";
import type { BatchedEvent, ClientToServerEvents, ServerToClientEvents } from "./events";

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

/** Packets stay under the Postgres adapter's 8,000-byte NOTIFY payload (larger ones go through a table). */
const PACKET_BYTES = 7_000;

/**
 * Emits events to one room in as few packets as fit: consecutive events share
 * an `events:batch` packet up to PACKET_BYTES; an event alone goes out as
 * itself. Clients unpack (unpackEventBatches), so listeners see each event, in
 * order. A no-op without a Socket.IO server in this process.
 */
export function emitPacked(room: string, events: readonly BatchedEvent[]) {
  const io = getIo();
  if (!io || events.length === 0) return;
  const send = (packet: BatchedEvent[]) => {
    // biome-ignore lint/suspicious/noExplicitAny: Socket.IO's emit typing does not accept a generic spread
    if (packet.length === 1) (io.to(room) as any).emit(...packet[0]);
    else io.to(room).emit("events:batch", packet);
  };
  let packet: BatchedEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = JSON.stringify(e).length + 1;
    if (packet.length && bytes + size > PACKET_BYTES) {
      send(packet);
      packet = [];
      bytes = 0;
    }
    packet.push(e);
    bytes += size;
  }
  send(packet);
}
