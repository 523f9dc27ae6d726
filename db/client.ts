import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Queries take either the pool or a transaction as their first argument. */
export type DbOrTx = Db | Tx;

type Holder = { db?: Db; sql?: postgres.Sql; url?: string };
// Held on globalThis: route handlers bundled by Next and server.ts load separate copies of this module.
const g = globalThis as { __waDb?: Holder };
g.__waDb ??= {};
const holder: Holder = g.__waDb;

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set. Start the app with `npm start` (it starts the embedded PostgreSQL) or set DATABASE_URL.",
    );
  }
  return url;
}

export function getSql(): postgres.Sql {
  const url = databaseUrl();
  if (!holder.sql || holder.url !== url) {
    holder.sql = postgres(url, {
      max: Number(process.env.DB_POOL_MAX ?? 10),
      onnotice: () => {},
      idle_timeout: 30,
      connect_timeout: 10,
    });
    holder.db = drizzle(holder.sql, { schema });
    holder.url = url;
  }
  return holder.sql;
}

export function getDb(): Db {
  getSql();
  return holder.db!;
}

export async function closeDb() {
  const sql = holder.sql;
  holder.sql = undefined;
  holder.db = undefined;
  holder.url = undefined;
  if (sql) await sql.end({ timeout: 5 });
}
