import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import postgres from "postgres";

/**
 * Starts the app as production runs it (built, NODE_ENV=production) against a
 * fresh database on a real PostgreSQL, in its own process group, for a
 * benchmark driving it from this (separate) process over loopback.
 */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

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

export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await a.end();
    },
  };
}

export function ensureBuilt() {
  if (fs.existsSync(".next/BUILD_ID") && !process.argv.includes("--build")) return;
  const r = spawnSync("npx", ["next", "build"], { stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (r.status !== 0) throw new Error("next build failed");
}

export type RunningApp = {
  url: string;
  port: number;
  proc: ChildProcess;
  rssMb: () => number;
  stop: () => Promise<void>;
};

export async function startApp(opts: {
  databaseUrl: string;
  env?: Record<string, string>;
  port?: number;
}): Promise<RunningApp> {
  const port = opts.port ?? (await freePort());
  const simPort = await freePort();
  const proc = spawn("node", ["--import", "tsx", "server.ts"], {
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      SIMULATOR_PORT: String(simPort),
      SEED_DEMO: "false",
      LOG_LEVEL: "warn",
      ...opts.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`app exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error("app did not become healthy in 120 s");
    await new Promise((r) => setTimeout(r, 300));
  }
  const rssMb = () => {
    // RSS of the whole process group's node process (the app).
    try {
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    } catch {
      return 0;
    }
  };
  return {
    url,
    port,
    proc,
    rssMb,
    stop: async () => {
      try {
        process.kill(-proc.pid!, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {}
    },
  };
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "cpu";
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
