import { z } from "zod";

/**
 * The one place that reads the environment. Validated once, lazily, so a
 * missing or bad variable fails fast with its name.
 */
const bool = z
  .enum(["true", "false", "1", "0", ""])
  .transform((v) => v === "true" || v === "1")
  .optional();

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Unset: the app starts an embedded PostgreSQL under .data/ (see db/embedded.ts). */
  DATABASE_URL: z.string().url().optional(),
  AUTH_SECRET: z.string().min(16, "AUTH_SECRET must be at least 16 characters"),
  WHATSAPP_APP_SECRET: z.string().min(8, "WHATSAPP_APP_SECRET must be at least 8 characters"),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1),
  /** Base URL of Meta's Graph API including the version, or the local simulator's. */
  GRAPH_API_URL: z.string().url().default("https://graph.facebook.com/v21.0"),
  PORT: z.coerce.number().int().positive().default(3000),
  HOST: z.string().default("127.0.0.1"),
  /** Public URL of the app (what the simulator posts webhooks to, and Auth.js's base). */
  APP_URL: z.string().url().optional(),
  SIMULATOR_PORT: z.coerce.number().int().positive().default(4010),
  EMBEDDED_PG_PORT: z.coerce.number().int().positive().default(54329),
  DATA_DIR: z.string().default(".data"),
  MEDIA_DIR: z.string().optional(),
  SEED_DEMO: bool,
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Run background workers (outbox, window-expiry timer, template sync) in this instance. */
  WORKERS: bool,
  /**
   * How Socket.IO events reach agents connected to other app instances: `postgres`
   * (@socket.io/postgres-adapter, LISTEN/NOTIFY on DATABASE_URL) or `none` (one instance).
   */
  REALTIME_ADAPTER: z.enum(["postgres", "none"]).default("postgres"),
  /** Webhook transactions one instance runs at once; bodies arriving meanwhile share the next one. */
  WEBHOOK_BATCH_PARALLEL: z.coerce.number().int().min(1).max(16).default(2),
  /** Connections in each instance's pool (webhook batches, pages, workers). */
  DB_POOL_MAX: z.coerce.number().int().min(2).default(10),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`)
      .join("; ");
    throw new Error(`Invalid environment — ${problems}. See .env.example.`);
  }
  cached = parsed.data;
  return cached;
}

/** For tests that change process.env between cases. */
export function resetEnvCache() {
  cached = undefined;
}
