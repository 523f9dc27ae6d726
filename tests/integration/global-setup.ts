import fs from "node:fs";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../db/embedded";
import { ensureDatabase, runMigrations } from "../../db/migrate";

/**
 * One fresh database per test run, migrated. With DATABASE_URL set (CI: the
 * system PostgreSQL) it is used as given; without it, a private embedded
 * PostgreSQL (own data dir and port, removed afterwards) is started — the same
 * default `npm start` uses — so concurrent runs never share a server.
 */
export default async function setup(project: TestProject) {
  process.env.LOG_LEVEL ??= "warn";
  let url = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const dataDir = `.data/test-pg-${process.pid}`;
    const port = 55100 + (process.pid % 800);
    const pg = await startEmbeddedPostgres({ dataDir, port, database: "postgres" });
    const name = `test_${Date.now().toString(36)}`;
    const base = pg.url.replace(/\/[^/]*$/, "");
    await ensureDatabase(`${base}/postgres`, name);
    url = `${base}/${name}`;
    stop = async () => {
      await pg.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
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
