import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

/**
 * Starts real app instances (tests/integration/helpers/instance.ts) as child
 * processes, for tests that need several of them or need to kill one. Each
 * keeps its stdout lines so a test can count what an instance logged.
 */
export type AppProcess = {
  url: string;
  port: number;
  pid: number;
  proc: ChildProcess;
  /** Every JSON log line the instance wrote on stdout (info and debug). */
  lines: () => Array<Record<string, unknown>>;
  /** Log lines with this event name. */
  events: (event: string) => Array<Record<string, unknown>>;
  /** The last ~200 chunks of stderr (warnings, errors), for a failing test's message. */
  stderr: () => string;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`). */
  stop: (graceMs?: number) => Promise<void>;
  /** kill -9: no cleanup, no goodbye. */
  kill9: () => Promise<void>;
};

const ENTRY = path.resolve(import.meta.dirname, "instance.ts");

export async function startAppProcess(
  opts: { env?: Record<string, string>; port?: number; readyTimeoutMs?: number } = {},
): Promise<AppProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    cwd: path.resolve(import.meta.dirname, "../../.."),
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      INSTANCE_PORT: String(opts.port ?? 0),
      LOG_LEVEL: "info",
      ...opts.env,
    },
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let buffered = "";
  let onReady: ((port: number) => void) | null = null;
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (obj.ready === true && typeof obj.port === "number") onReady?.(obj.port);
        else lines.push(obj);
      } catch {
        // not a log line (a library writing to stdout): ignored
      }
    }
  });
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 200) stderr.shift();
  });

  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`instance not ready in time:\n${stderr.join("").slice(-2000)}`));
    }, opts.readyTimeoutMs ?? 60_000);
    onReady = (p) => {
      clearTimeout(timer);
      resolve(p);
    };
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before ready:\n${stderr.join("").slice(-2000)}`));
    });
  });

  const waitExit = async (ms: number) =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid!,
    proc,
    lines: () => lines,
    events: (event) => lines.filter((l) => l.event === event),
    stderr: () => stderr.join(""),
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      if (!(await waitExit(graceMs))) {
        proc.kill("SIGKILL");
        await exited;
      }
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await exited;
    },
  };
}
