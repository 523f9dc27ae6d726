/**
 * One app instance without Next's router, for tests that run several real
 * processes (scale-out, faults): what server.ts runs minus the pages — an HTTP
 * server routing the webhook (serveWebhook, as server.ts does) and the health
 * probe (the same check as its Next route), Socket.IO (attachRealtime, with the adapter
 * REALTIME_ADAPTER selects) and the background workers (unless WORKERS=false).
 *
 *   DATABASE_URL=… GRAPH_API_URL=… INSTANCE_PORT=0 node --import tsx tests/integration/helpers/instance.ts
 *
 * Prints one line `{"ready":true,"port":N,"pid":P}` on stdout once listening.
 * SIGTERM stops it cleanly; SIGKILL is what the crash tests use.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getSql } from "../../../db/client";
import { env } from "../../../lib/env";
import { log } from "../../../lib/logger";
import { attachRealtime } from "../../../lib/realtime/server";
import { serveWebhook, WEBHOOK_PATH } from "../../../lib/services/webhook-endpoint";
import { startWorkers } from "../../../lib/workers/start-workers";

async function send(res: http.ServerResponse, response: Response) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** The same check as app/api/health/route.ts. */
async function health(): Promise<Response> {
  try {
    await getSql()`select 1`;
    return Response.json({ ok: true, db: "up" });
  } catch (err) {
    return Response.json({ ok: false, db: "down", error: (err as Error).message }, { status: 503 });
  }
}

async function main() {
  const cfg = env();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === WEBHOOK_PATH) return void serveWebhook(req, res);
    const route =
      req.method === "GET" && path === "/api/health"
        ? health()
        : Promise.resolve(Response.json({ error: "not_found" }, { status: 404 }));
    route
      .then((r) => send(res, r))
      .catch((err) => {
        log.error("http.unhandled", { url: req.url, error: String(err) });
        res.statusCode = 500;
        res.end("Internal error");
      });
  });
  // Tests shorten the window-expiry scan (default 30 s) so an expiry a few seconds away is seen.
  const windowScanMs = process.env.WINDOW_SCAN_MS ? Number(process.env.WINDOW_SCAN_MS) : undefined;
  const io = await attachRealtime(server, { windowScanMs });
  const stopWorkers = cfg.WORKERS !== false ? startWorkers() : async () => {};
  await new Promise<void>((resolve) =>
    server.listen(Number(process.env.INSTANCE_PORT ?? 0), "127.0.0.1", resolve),
  );
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stopWorkers().catch(() => {});
    await new Promise<void>((r) => io.close(() => r()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
