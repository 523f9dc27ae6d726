import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * `npm start`: builds the Next app when its sources changed since the last
 * build, then runs server.ts (embedded PostgreSQL + simulator unless configured).
 */
const root = process.cwd();
const stampFile = path.join(root, ".next", "source-stamp");

function sourceStamp(): string {
  const h = crypto.createHash("sha1");
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.statSync(p);
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const d of [
    "app",
    "components",
    "lib",
    "db",
    "public",
    "proxy.ts",
    "next.config.mjs",
    "package-lock.json",
  ]) {
    const p = path.join(root, d);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) h.update(`${p}:${fs.statSync(p).mtimeMs}`);
    else walk(p);
  }
  return h.digest("hex");
}

const stamp = sourceStamp();
const built = fs.existsSync(path.join(root, ".next", "BUILD_ID"));
const fresh = built && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
if (!fresh || process.argv.includes("--build")) {
  console.log("Building the app (next build)…");
  const r = spawnSync("npx", ["next", "build"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  fs.writeFileSync(stampFile, stamp);
}

(process.env as Record<string, string>).NODE_ENV = "production";
await import("../server");
