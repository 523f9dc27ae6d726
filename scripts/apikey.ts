/**
 * REST API keys from the command line:
 *   npm run --silent apikey -- create "Zapier"   → prints the key (shown once) as the last word
 *   npm run --silent apikey -- list
 *   npm run --silent apikey -- revoke <id>
 * Uses DATABASE_URL, or the embedded PostgreSQL `npm start` uses (reusing it when it runs).
 */
// Keep stdout for the answer: info logs (database start, migrations) would clutter it.
export {};

process.env.LOG_LEVEL ??= "warn";
await import("../lib/load-env");

const { closeDb, getDb } = await import("../db/client");
const { startEmbeddedPostgres } = await import("../db/embedded");
const { runMigrations } = await import("../db/migrate");
const { env } = await import("../lib/env");
const { createApiKey, listApiKeys, revokeApiKey } = await import("../lib/services/api-keys");

const USAGE = `Usage:
  npm run --silent apikey -- create <name>
  npm run --silent apikey -- list
  npm run --silent apikey -- revoke <id>`;

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || !["create", "list", "revoke"].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const arg = rest.join(" ").trim();
  if ((command === "create" || command === "revoke") && !arg) {
    console.error(`${command === "create" ? "Give the key a name" : "Give the key's id"}.\n${USAGE}`);
    return 2;
  }

  let stopDb: (() => Promise<void>) | undefined;
  if (!process.env.DATABASE_URL) {
    const cfg = env();
    const pg = await startEmbeddedPostgres({ dataDir: `${cfg.DATA_DIR}/pg`, port: cfg.EMBEDDED_PG_PORT });
    process.env.DATABASE_URL = pg.url;
    stopDb = pg.stop; // a no-op when `npm start` already runs the server
  }
  try {
    await runMigrations(process.env.DATABASE_URL);
    const db = getDb();
    if (command === "create") {
      const { id, key } = await createApiKey(db, { name: arg });
      console.log(`Created API key "${arg}" (id ${id}). Store it now: it is not shown again.`);
      console.log(`Use it as: Authorization: Bearer <key>`);
      console.log(key);
    } else if (command === "list") {
      const keys = await listApiKeys(db);
      if (keys.length === 0) console.log("No API keys.");
      for (const k of keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
        const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : "never used";
        console.log(`${k.id}  ${k.prefix}…  ${k.name}  (${state}, ${used})`);
      }
    } else {
      if (!(await revokeApiKey(db, { id: arg }))) {
        console.error(`No API key with id ${arg}.`);
        return 1;
      }
      console.log(`Revoked API key ${arg}.`);
    }
    return 0;
  } finally {
    await closeDb();
    if (stopDb) await stopDb();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
