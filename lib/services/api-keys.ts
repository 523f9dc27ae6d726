/**
 * REST API keys. A key is shown once, at creation ("whk_" + 32 random bytes, base64url); we keep
 * only its SHA-256 (a random 256-bit key needs no slow hash) and a short prefix to recognise it.
 */
import crypto from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { apiKeys, auditLog } from "../../db/schema";
import { AppError } from "../errors";
import { log } from "../logger";

export const API_KEY_PREFIX = "whk_";

export type ApiKeyInfo = {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export function hashApiKey(key: string): string {
  return crypto.createHash("sha256").update(key, "utf8").digest("hex");
}

/** Creates a key and returns it in full — the only time it can be seen. */
export async function createApiKey(
  db: DbOrTx,
  args: { name: string; createdByUserId?: string | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const name = args.name.trim();
  if (!name || name.length > 100) {
    throw new AppError("invalid_input", "An API key needs a name of 1 to 100 characters.", { field: "name" });
  }
  const key = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString("base64url")}`;
  const prefix = key.slice(0, API_KEY_PREFIX.length + 6);
  const [row] = await db
    .insert(apiKeys)
    .values({ name, prefix, keyHash: hashApiKey(key), createdByUserId: args.createdByUserId ?? null })
    .returning({ id: apiKeys.id });
  await db.insert(auditLog).values({
    actorUserId: args.createdByUserId ?? null,
    action: "api_key.create",
    targetType: "api_key",
    targetId: row.id,
    data: { name, prefix },
  });
  log.info("api_key.created", { id: row.id, name, prefix });
  return { id: row.id, key, prefix };
}

/**
 * The active key a bearer token names, or null. Accepts the token with or without "Bearer ".
 * Records last use (at most once a minute per key, to spare writes on busy integrations).
 */
export async function verifyApiKey(
  db: DbOrTx,
  bearer: string | null | undefined,
): Promise<{ id: string; name: string } | null> {
  const token = (bearer ?? "").replace(/^Bearer\s+/i, "").trim();
  if (!token.startsWith(API_KEY_PREFIX) || token.length > 200) return null;
  const [row] = await db
    .select({ id: apiKeys.id, name: apiKeys.name, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(token)), isNull(apiKeys.revokedAt)));
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, row.id));
  }
  return { id: row.id, name: row.name };
}

/** Revokes a key (idempotent). Returns false when no such key exists. */
export async function revokeApiKey(
  db: DbOrTx,
  args: { id: string; actorUserId?: string | null },
): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(args.id)) return false;
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.id, args.id))
    .returning({ id: apiKeys.id });
  if (!row) return false;
  await db.insert(auditLog).values({
    actorUserId: args.actorUserId ?? null,
    action: "api_key.revoke",
    targetType: "api_key",
    targetId: row.id,
  });
  log.info("api_key.revoked", { id: row.id });
  return true;
}

/** Every key, newest first (never the secret). */
export async function listApiKeys(db: DbOrTx): Promise<ApiKeyInfo[]> {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .orderBy(desc(apiKeys.createdAt));
}
