import "./lib/load-env";
import http from "node:http";
import next from "next";
import { getDb } from "./db/client";
import { startEmbeddedPostgres } from "./db/embedded";
import { runMigrations } from "./db/migrate";
import { seedDemoIfEmpty } from "./db/seed";
import { env } from "./lib/env";
import { log } from "./lib/logger";
import { attachRealtime } from "./lib/realtime/server";
import { serveWebhook, WEBHOOK_PATH } from "./lib/services/webhook-endpoint";
import { startWorkers } from "./lib/workers/start-workers";

/**
 * One HTTP server: Next's request handler and Socket.IO on the same port.
 * Without DATABASE_URL it starts the embedded PostgreSQL; without GRAPH_API_URL
 * it starts the local Cloud API simulator and points the app at it.
 */
async function main() {
  const dev = process.argv.includes("--dev");
  (process.env as Record<string, string>).NODE_ENV ??= dev ? "development" : "production";
  const cleanup: Array<() => Promise<void> | void> = [];

  if (!process.env.DATABASE_URL) {
    const dataDir = process.env.DATA_DIR ?? ".data";
    const pg = await startEmbeddedPostgres({
      dataDir: `${dataDir}/pg`,
      port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
    });
    process.env.DATABASE_URL = pg.url;
    cleanup.push(pg.stop);
  }
  const port = Number(process.env.PORT ?? 3000);
  process.env.APP_URL ??= `http://localhost:${port}`;
  process.env.AUTH_URL ??= process.env.APP_URL;

  let simulatorUrl: string | undefined;
  if (!process.env.GRAPH_API_URL) {
    const simPort = Number(process.env.SIMULATOR_PORT ?? 4010);
    simulatorUrl = `http://127.0.0.1:${simPort}`;
    process.env.GRAPH_API_URL = `${simulatorUrl}/v21.0`;
  }
  const cfg = env();

  await runMigrations(process.env.DATABASE_URL);
  if (cfg.SEED_DEMO !== false) await seedDemoIfEmpty(getDb());

  if (simulatorUrl) {
    const { startSimulator } = await import("./simulator/app");
    const { dbBootstrap } = await import("./simulator/db-bootstrap");
    const sim = await startSimulator({
      port: cfg.SIMULATOR_PORT,
      webhookUrl: `${process.env.APP_URL}/api/webhooks/whatsapp`,
      appSecret: cfg.WHATSAPP_APP_SECRET,
      // What Meta would already know (numbers, templates, earlier messages) comes from our database.
      bootstrap: dbBootstrap(getDb()),
    });
    cleanup.push(sim.close);
    log.info("simulator.started", { url: simulatorUrl, phone: `${simulatorUrl}/phone` });
  }

  const app = next({ dev, hostname: cfg.HOST, port, dir: process.cwd() });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    // Meta's webhook is the hot path: served here, before Next's router (see serveWebhook).
    if (req.url === WEBHOOK_PATH || req.url?.startsWith(`${WEBHOOK_PATH}?`))
      return void serveWebhook(req, res);
    handle(req, res).catch((err) => {
      log.error("http.unhandled", { url: req.url, error: String(err) });
      res.statusCode = 500;
      res.end("Internal error");
    });
  });
  const io = await attachRealtime(server);
  cleanup.push(() => new Promise<void>((r) => io.close(() => r())));
  if (cfg.WORKERS !== false) cleanup.push(startWorkers());

  await new Promise<void>((resolve) => server.listen(port, cfg.HOST, resolve));
  const url = process.env.APP_URL;
  console.log(
    [
      "",
      `  WhatsApp helpdesk ready on ${url}`,
      simulatorUrl ? `  Cloud API simulator (customer phone): ${simulatorUrl}/phone` : "",
      `  Demo logins (password: demo1234): agent1@demo.test, agent2@demo.test, supervisor@demo.test, admin@demo.test`,
      "",
    ]
      .filter((l) => l !== "")
      .join("\n"),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("server.stopping", { signal });
    server.close();
    for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => {});
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err) => {
  log.error("server.start_failed", { error: err instanceof Error ? err.message : String(err) });
  console.error(err);
  process.exit(1);
});
