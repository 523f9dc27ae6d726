/**
 * `npm run simulator`: the Cloud API simulator on its own, for an app started with
 * GRAPH_API_URL=http://127.0.0.1:$SIMULATOR_PORT/v21.0. Webhooks go to
 * `${APP_URL}/api/webhooks/whatsapp` signed with WHATSAPP_APP_SECRET. With DATABASE_URL set it
 * also learns the app's numbers, templates and message history from that database.
 */
import "../lib/load-env";
import { env } from "../lib/env";
import { log } from "../lib/logger";
import { startSimulator } from "./app";
import type { SimulatorBootstrap } from "./state";

async function main() {
  const cfg = env();
  const appUrl = cfg.APP_URL ?? `http://localhost:${cfg.PORT}`;
  let bootstrap: SimulatorBootstrap | undefined;
  let closeDb: (() => Promise<void>) | undefined;
  if (cfg.DATABASE_URL) {
    const [{ getDb, closeDb: close }, { dbBootstrap }] = await Promise.all([
      import("../db/client"),
      import("./db-bootstrap"),
    ]);
    bootstrap = dbBootstrap(getDb());
    closeDb = close;
  }
  const sim = await startSimulator({
    port: cfg.SIMULATOR_PORT,
    host: cfg.HOST,
    webhookUrl: `${appUrl}/api/webhooks/whatsapp`,
    appSecret: cfg.WHATSAPP_APP_SECRET,
    bootstrap,
  });
  console.log(
    [
      "",
      `  Cloud API simulator on ${sim.url}`,
      `  Graph API:       ${sim.url}/v21.0   (set GRAPH_API_URL to this)`,
      `  Customer phone:  ${sim.url}/phone`,
      `  Webhooks to:     ${appUrl}/api/webhooks/whatsapp`,
      `  CLI:             npx tsx simulator/cli.ts help`,
      "",
    ].join("\n"),
  );
  const stop = async () => {
    await sim.close();
    await closeDb?.();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((err) => {
  log.error("simulator.start_failed", { error: err instanceof Error ? err.message : String(err) });
  console.error(err);
  process.exit(1);
});
