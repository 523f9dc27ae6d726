import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import postgres from "postgres";

/**
 * Starts the app as production runs it (built, NODE_ENV=production, server.ts)
 * against a fresh database on a real PostgreSQL, in its own process group, for
 * a benchmark driving it from this (separate) process over loopback.
 */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Secrets the bench shares with the app it starts (it signs webhooks and mints session cookies). */
export const BENCH_SECRETS = {
  AUTH_SECRET: "bench-auth-secret-0123456789abcdef",
  WHATSAPP_APP_SECRET: "bench-app-secret",
  WHATSAPP_VERIFY_TOKEN: "bench-verify-token",
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export async function freshDatabase(
  prefix: string,
  adminUrl = PG_ADMIN_URL,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    name,
    drop: async () => {
      if (process.argv.includes("--keep-db")) {
        console.error(`kept database ${url}`);
        return;
      }
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await a.end();
    },
  };
}

const buildRunning = () => spawnSync("pgrep", ["-f", "next build"]).status === 0;

/**
 * `next build` once: production mode needs .next/BUILD_ID (pass --build to force
 * a rebuild). A build someone else started is waited for, not raced.
 */
export function ensureBuilt() {
  if (process.argv.includes("--build")) return build();
  const deadline = Date.now() + 15 * 60_000;
  while (!fs.existsSync(".next/BUILD_ID") && buildRunning() && Date.now() < deadline) {
    console.error("waiting for a running `next build` to finish…");
    spawnSync("sleep", ["5"]);
  }
  if (!fs.existsSync(".next/BUILD_ID")) build();
}

function build() {
  console.error("building the app (npx next build)…");
  const r = spawnSync("npx", ["next", "build"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (r.status !== 0) throw new Error("next build failed");
}

export type RunningApp = {
  url: string;
  port: number;
  proc: ChildProcess;
  /** Resident memory of the app process now (MB). */
  rssMb: () => number;
  /** SIGTERM to the process group, SIGKILL after a grace period. */
  stop: () => Promise<void>;
  /** kill -9 the app, nothing else: what a crash looks like. */
  kill9: () => Promise<void>;
};

export type StartAppOptions = {
  databaseUrl: string;
  /** Graph API base the app calls; default: a port where nothing listens (no sends in ingestion benches). */
  graphApiUrl?: string;
  env?: Record<string, string>;
  port?: number;
  /** Each stdout line of the app (JSON log lines at LOG_LEVEL); default: discarded. */
  onStdoutLine?: (line: string) => void;
  /** Show the app's stderr (warnings, errors); default true. */
  stderr?: boolean;
  healthTimeoutMs?: number;
};

/** Process groups of the apps this bench started: killed if the bench is interrupted. */
const children = new Set<number>();

export async function startApp(opts: StartAppOptions): Promise<RunningApp> {
  const port = opts.port ?? (await freePort());
  // APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the app (written when it stops).
  const nodeArgs = process.env.APP_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "server.ts"], {
    detached: true,
    stdio: ["ignore", opts.onStdoutLine ? "pipe" : "ignore", opts.stderr === false ? "ignore" : "inherit"],
    env: {
      ...process.env,
      ...BENCH_SECRETS,
      NODE_ENV: "production",
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      APP_URL: `http://127.0.0.1:${port}`,
      GRAPH_API_URL: opts.graphApiUrl ?? "http://127.0.0.1:9/v21.0",
      SEED_DEMO: "false",
      LOG_LEVEL: "warn",
      AUTH_TRUST_HOST: "true",
      ...opts.env,
    },
  });
  if (opts.onStdoutLine && proc.stdout) {
    let buf = "";
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        opts.onStdoutLine!(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    });
  }
  children.add(proc.pid!);
  const exited = new Promise<void>((r) =>
    proc.once("exit", () => {
      children.delete(proc.pid!);
      r();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.healthTimeoutMs ?? 180_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`app exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      process.kill(-proc.pid!, "SIGKILL");
      throw new Error("app did not become healthy in time");
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const rssMb = () => {
    try {
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    } catch {
      return 0;
    }
  };
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    url,
    port,
    proc,
    rssMb,
    stop: async () => {
      if (!alive()) return;
      try {
        process.kill(-proc.pid!, "SIGTERM");
      } catch {}
      const done = await Promise.race([exited.then(() => true), sleep(8000).then(() => false)]);
      if (!done) {
        try {
          process.kill(-proc.pid!, "SIGKILL");
        } catch {}
        await exited;
      }
    },
    kill9: async () => {
      if (!alive()) return;
      process.kill(proc.pid!, "SIGKILL");
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Cores, CPU, memory, Node, date and the load average right now: printed with every figure. */
export function machine() {
  const cpu = os.cpus()[0]?.model ?? "cpu";
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** p50/p90/p99/max of a list of milliseconds, rounded to 0.1 ms. */
export function latencySummary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1] ?? Number.NaN),
  };
}

/** Progress on stderr (the figures go to stdout). */
export function progress(msg: string) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/**
 * Runs `main`, prints its error, and exits. The apps it started are in their own
 * process groups: `main` stops them in `finally`; an interrupted bench (Ctrl-C,
 * timeout) kills them here so none is left running.
 */
export function run(main: () => Promise<void>) {
  const killChildren = (signal: string) => {
    for (const pid of children) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
    console.error(`interrupted (${signal}); the fresh database is left behind (bench_* on the server)`);
    process.exit(130);
  };
  process.once("SIGINT", () => killChildren("SIGINT"));
  process.once("SIGTERM", () => killChildren("SIGTERM"));
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
