import crypto from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Db } from "../../../db/client";
import { ensureDatabase, runMigrations } from "../../../db/migrate";
import * as schema from "../../../db/schema";

/**
 * A database of its own, migrated, on the same server as the shared test
 * database. For tests that run whole app instances: their workers (outbox,
 * window announcer, template sync) act on every row they can see, so sharing
 * the database with test files running in parallel would let them send other
 * tests' messages — and the Socket.IO adapter's NOTIFY channel is per database.
 */
export type PrivateDb = { url: string; db: Db; sql: postgres.Sql; drop: () => Promise<void> };

export async function privateDatabase(prefix: string): Promise<PrivateDb> {
  const shared = process.env.DATABASE_URL;
  if (!shared) throw new Error("DATABASE_URL is not set (tests/integration/setup.ts sets it)");
  const name = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  const adminUrl = shared.replace(/\/[^/?]*(\?.*)?$/, "/postgres$1");
  const url = shared.replace(/\/[^/?]*(\?.*)?$/, `/${name}$1`);
  await ensureDatabase(adminUrl, name);
  await runMigrations(url);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    url,
    db: drizzle(sql, { schema }),
    sql,
    async drop() {
      await sql.end({ timeout: 5 }).catch(() => {});
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}
