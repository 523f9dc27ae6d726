import fs from "node:fs";
import path from "node:path";
import { config } from "dotenv";

/**
 * Loads .env, then fills anything still unset from .env.example's demo
 * defaults, so `npm install && npm start` works on a fresh clone. Imported
 * first by server.ts and the CLIs (never by Next's bundle).
 */
export function loadEnv(cwd = process.cwd()) {
  const local = path.join(cwd, ".env");
  if (fs.existsSync(local)) config({ path: local, quiet: true });
  const example = path.join(cwd, ".env.example");
  if (fs.existsSync(example)) config({ path: example, quiet: true });
}

loadEnv();
