/**
 * `npm run test:e2e`: starts the app exactly as the README does (`npm start`:
 * build if needed, embedded PostgreSQL or DATABASE_URL, Cloud API simulator) on
 * free ports and a FRESH database, waits for /api/health, runs Playwright, and
 * stops the app's whole process group. With DATABASE_URL set, a new database is
 * created on that server (and dropped after); without it, the embedded
 * PostgreSQL runs in a temporary DATA_DIR.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";

const root = path.resolve(import.meta.dirname, "..", "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(url: string, app: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.exitCode !== null)
      throw new Error(`the app exited with code ${app.exitCode} before it was healthy`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
    } catch {}
    await sleep(1_000);
  }
  throw new Error(`${url} did not answer 200 within ${Math.round(timeoutMs / 1000)} s`);
}

function adminUrlOf(url: string): { admin: string; base: string } {
  const u = new URL(url);
  u.pathname = "/postgres";
  const admin = u.toString();
  u.pathname = "";
  return { admin, base: u.toString().replace(/\/$/, "") };
}

async function main() {
  const [appPort, simPort, pgPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // Reachable by the `postgres` OS user when the embedded server runs as root.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wa-e2e-"));
  fs.chmodSync(dataDir, 0o755);
  const logFile = path.join(dataDir, "app.log");

  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) {
    const name = `e2e_${Date.now().toString(36)}_${process.pid}`;
    const { admin, base } = adminUrlOf(process.env.DATABASE_URL);
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}"`);
    await sql.end();
    databaseUrl = `${base}/${name}`;
    dropDatabase = async () => {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      await s.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await s.end();
    };
  }

  const appUrl = `http://127.0.0.1:${appPort}`;
  // Without GRAPH_API_URL the app starts its Cloud API simulator; NODE_ENV is start.ts's to set.
  const { GRAPH_API_URL: _graph, NODE_ENV: _nodeEnv, DATABASE_URL: _db, ...inherited } = process.env;
  const env: Record<string, string | undefined> = {
    ...inherited,
    PORT: String(appPort),
    HOST: "127.0.0.1",
    APP_URL: appUrl,
    AUTH_URL: appUrl,
    AUTH_TRUST_HOST: "true",
    SIMULATOR_PORT: String(simPort),
    EMBEDDED_PG_PORT: String(pgPort),
    DATA_DIR: dataDir,
    SEED_DEMO: "true",
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "info",
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;

  console.log(`e2e: starting the app (npm start) on ${appUrl}, simulator on :${simPort}, data in ${dataDir}`);
  const out = fs.openSync(logFile, "a");
  const app = spawn("npm", ["start"], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", out, out],
  });

  let stopped = false;
  const stopApp = async () => {
    if (stopped) return;
    stopped = true;
    if (app.pid && app.exitCode === null) {
      try {
        process.kill(-app.pid, "SIGTERM");
      } catch {}
      for (let i = 0; i < 40 && app.exitCode === null; i++) await sleep(250);
      try {
        process.kill(-app.pid, "SIGKILL");
      } catch {}
    }
    // An embedded server left behind by a hard kill would keep its port: stop it too.
    const pidFile = path.join(dataDir, "pg", "postmaster.pid");
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
      try {
        if (pid) process.kill(pid, "SIGQUIT");
      } catch {}
    }
    await dropDatabase?.();
  };
  const onSignal = () => void stopApp().then(() => process.exit(130));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let code = 1;
  try {
    // The first start builds the app (`next build`): allow it time on a small machine.
    await waitForHealth(`${appUrl}/api/health`, app, Number(process.env.E2E_START_TIMEOUT_MS ?? 900_000));
    console.log("e2e: app healthy, running Playwright");
    const pw = spawn("npx", ["playwright", "test", ...process.argv.slice(2)], {
      cwd: root,
      stdio: "inherit",
      env: {
        ...process.env,
        E2E_BASE_URL: appUrl,
        E2E_SIMULATOR_URL: `http://127.0.0.1:${simPort}`,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
      },
    });
    code = await new Promise<number>((resolve) => pw.on("exit", (c) => resolve(c ?? 1)));
  } catch (err) {
    console.error(`e2e: ${(err as Error).message}`);
  } finally {
    await stopApp();
    if (code !== 0) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
      console.error(
        `\ne2e: last lines of the app's log (${logFile}):\n${log.split("\n").slice(-60).join("\n")}`,
      );
    } else {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
