import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../db/embedded";
import { ensureDatabase, runMigrations } from "../../db/migrate";

/**
 * One fresh database per test run, migrated. With DATABASE_URL set (CI: the
 * system PostgreSQL) it is used as given; without it, an embedded PostgreSQL
 * under .data/test-pg is started — the same default `npm start` uses.
 */
export default async function setup(project: TestProject) {
  process.env.LOG_LEVEL ??= "warn";
  let url = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const pg = await startEmbeddedPostgres({ dataDir: ".data/test-pg", port: 54330, database: "postgres" });
    const name = `test_${Date.now().toString(36)}`;
    const base = pg.url.replace(/\/[^/]*$/, "");
    await ensureDatabase(`${base}/postgres`, name);
    url = `${base}/${name}`;
    stop = pg.stop;
  }
  await runMigrations(url);
  project.provide("databaseUrl", url);
  return async () => {
    if (stop) await stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
