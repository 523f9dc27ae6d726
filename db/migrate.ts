import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { log } from "../lib/logger";

/** Applies the generated SQL migrations in drizzle/ (idempotent; safe with several instances). */
export async function runMigrations(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // One migrator at a time across instances.
    await sql`select pg_advisory_lock(727274)`;
    await migrate(drizzle(sql), { migrationsFolder: path.join(process.cwd(), "drizzle") });
    await sql`select pg_advisory_unlock(727274)`;
    log.info("db.migrated");
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates a database on the server of `adminUrl` if it does not exist. */
export async function ensureDatabase(adminUrl: string, name: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name.replace(/"/g, "")}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
