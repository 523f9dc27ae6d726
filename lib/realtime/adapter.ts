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
 * Returns a function that ends the pool once Socket.IO has closed.
 */
export function attachPostgresAdapter(io: IoServer, databaseUrl: string): () => Promise<void> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 4,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  const onError = (err: Error) => log.warn("realtime.adapter_error", { error: err.message });
  // An idle pooled connection that dies (database restart) is reported here…
  pool.on("error", onError);
  // …and a checked-out one (the adapter's LISTEN connection) on the client itself: without a
  // listener that `error` event would crash the process. The adapter reconnects on `end`.
  pool.on("connect", (client) => {
    client.on("error", onError);
  });
  io.adapter(createAdapter(pool, { errorHandler: onError }));
  log.info("realtime.adapter", { kind: "postgres" });
  let ended = false;
  return async () => {
    if (ended) return;
    ended = true;
    await pool.end().catch(() => {});
  };
}
