/**
 * The local Cloud API simulator: a plain node:http server that plays Meta's side — the Graph API
 * the app calls (`/v{NN}.0/...`), signed webhooks to the app, a customer phone page at /phone and
 * a control API under /_sim/ for tests and the CLI. Starts in milliseconds; state is in memory.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { log } from "../lib/logger";
import { handleControl } from "./control-api";
import { GRAPH_PATH_RE, handleGraph } from "./graph-api";
import { sendBytes, sendJson } from "./http-util";
import { PHONE_PAGE } from "./phone-page";
import { Simulator, type SimulatorOptions } from "./simulator";
import type { SimulatorState } from "./state";

export type StartSimulatorOptions = SimulatorOptions & {
  /** 0 → a random free port. */
  port: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
};

export type RunningSimulator = {
  /** Base URL, e.g. http://127.0.0.1:4010 (Graph API under `${url}/v21.0`). */
  url: string;
  port: number;
  close(): Promise<void>;
  state: SimulatorState;
  /** The simulator itself, for tests that drive it in-process (inbound, template status, outages). */
  simulator: Simulator;
};

export async function startSimulator(opts: StartSimulatorOptions): Promise<RunningSimulator> {
  const sim = new Simulator(opts);
  await sim.init();

  const server = http.createServer((req, res) => {
    handle(sim, req, res).catch((err) => {
      log.error("simulator.unhandled", {
        method: req.method,
        url: req.url,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      if (!res.headersSent) sendJson(res, 500, { error: { message: "simulator internal error" } });
      else res.destroy();
    });
  });
  // Held "timeout" requests must not keep close() waiting, and idle keep-alive sockets neither.
  server.keepAliveTimeout = 5_000;

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  sim.baseUrl = url;
  log.info("simulator.listening", { url, webhookUrl: opts.webhookUrl });

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    state: sim.state,
    simulator: sim,
    close() {
      closing ??= new Promise<void>((resolve) => {
        sim.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(sim: Simulator, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", "http://simulator.local");
  const path = url.pathname;
  if (path === "/" && req.method === "GET") {
    res.writeHead(302, { location: "/phone" });
    res.end();
    return;
  }
  if (path === "/phone" && req.method === "GET") {
    sendBytes(res, 200, "text/html; charset=utf-8", PHONE_PAGE);
    return;
  }
  if (path === "/favicon.ico") {
    res.writeHead(204).end();
    return;
  }
  if (path.startsWith("/phone/media/") && req.method === "GET") {
    // The customer's own device shows media without the business's token.
    const m = sim.state.media.get(decodeURIComponent(path.slice("/phone/media/".length)));
    if (m) sendBytes(res, 200, m.mimeType, m.bytes);
    else sendJson(res, 404, { error: { message: "unknown media" } });
    return;
  }
  if (path.startsWith("/_sim/")) {
    if (await handleControl(sim, req, res, url)) return;
    log.info("simulator.control_not_found", { method: req.method, path });
    sendJson(res, 404, { error: { message: `no control route ${req.method} ${path}` } });
    return;
  }
  const m = GRAPH_PATH_RE.exec(path);
  if (m) {
    await handleGraph(sim, req, res, url, m);
    return;
  }
  log.info("simulator.not_found", { method: req.method, path });
  sendJson(res, 404, {
    error: {
      message: `Unknown path components: ${path}`,
      type: "OAuthException",
      code: 2500,
      fbtrace_id: "simulator",
    },
  });
}
