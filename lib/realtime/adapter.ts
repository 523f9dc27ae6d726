import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import { log } from "@/lib/logger";
import type { IoServer } from "@/lib/realtime/emit";

/**
 * Lets several app instances share one Socket.IO audience through the Postgres
 * they already share: the official `@socket.io/postgres-adapter` relays every
 * broadcast (`io.to(room).emit`) to the other instances with NOTIFY on one
 * channel, and each instance delivers it to its own sockets. Payloads over
 * 8,000 bytes go through the `socket_io_attachments` table (see db/schema.ts).
 *
 * The adapter talks `pg` (not postgres.js), so it gets a small pool of its own:
 * one connection stays checked out for LISTEN, the others carry NOTIFYs.
 * Returns a function that closes the adapter and ends its pool (on shutdown).
 */
export function attachPostgresAdapter(io: IoServer, databaseUrl: string): () => Promise<void> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 4,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  let ended = false;
  // After shutdown began, a late heartbeat or the adapter's goodbye may find the pool ended: not news.
  const onError = (err: Error) => {
    if (!ended) log.warn("realtime.adapter_error", { error: err.message });
  };
  // An idle pooled connection that dies (database restart) is reported here…
  pool.on("error", onError);
  // …and a checked-out one (the adapter's LISTEN connection) on the client itself: without a
  // listener that `error` event would crash the process. The adapter reconnects on `end`.
  pool.on("connect", (client) => {
    client.on("error", onError);
  });
  io.adapter(createAdapter(pool, { errorHandler: onError }));
  log.info("realtime.adapter", { kind: "postgres" });
  return async () => {
    if (ended) return;
    // Close the adapter first (it tells the other instances, and stops its heartbeat and
    // LISTEN connection) while the pool can still carry that, then end the pool.
    await Promise.resolve(io.of("/").adapter.close()).catch(() => {});
    ended = true;
    await pool.end().catch(() => {});
  };
}
