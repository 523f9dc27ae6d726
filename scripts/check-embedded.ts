import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../db/embedded";
import { runMigrations } from "../db/migrate";

/**
 * Proves the embedded default boots on this machine: a fresh data dir,
 * initdb, start, migrate, a query, stop. Used by .ci/run.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wa-embedded-"));
fs.chmodSync(dir, 0o755);
const port = 55000 + Math.floor(Math.random() * 1000);
const t0 = performance.now();
const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port });
try {
  await runMigrations(pg.url);
  const sql = postgres(pg.url, { max: 1 });
  const [row] =
    await sql`select count(*)::int as tables from information_schema.tables where table_schema = 'public'`;
  await sql.end();
  if (row.tables < 10) throw new Error(`expected the schema's tables, found ${row.tables}`);
  console.log(`embedded PostgreSQL ok: ${row.tables} tables, ${Math.round(performance.now() - t0)} ms`);
} finally {
  await pg.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
