import { asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDatabase, runMigrations } from "../../db/migrate";
import * as schema from "../../db/schema";
import { seedDemoIfEmpty } from "../../db/seed";

// The seed runs on an empty database: give it one of its own on the same server.
const base = process.env.DATABASE_URL!.replace(/\/[^/]*$/, "");
const name = `seed_${Date.now().toString(36)}`;
let sql: postgres.Sql;
let db: ReturnType<typeof drizzle<typeof schema>>;
const now = new Date("2026-03-10T12:00:00Z");

beforeAll(async () => {
  await ensureDatabase(`${base}/postgres`, name);
  await runMigrations(`${base}/${name}`);
  sql = postgres(`${base}/${name}`, { max: 2, onnotice: () => {} });
  db = drizzle(sql, { schema });
});

afterAll(async () => {
  await sql?.end();
  const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
});

describe("demo seed", () => {
  it("seeds once, with threads in every window state", async () => {
    expect(await seedDemoIfEmpty(db, now)).toBe(true);
    expect(await seedDemoIfEmpty(db, now)).toBe(false);

    const users = await db.select().from(schema.users);
    expect(users.map((u) => u.email).sort()).toEqual([
      "admin@demo.test",
      "agent1@demo.test",
      "agent2@demo.test",
      "supervisor@demo.test",
    ]);

    const rows = await db
      .select({
        name: schema.contacts.profileName,
        csw: schema.threads.cswExpiresAt,
        fep: schema.threads.fepExpiresAt,
      })
      .from(schema.threads)
      .innerJoin(schema.contacts, eq(schema.contacts.id, schema.threads.contactId))
      .orderBy(asc(schema.contacts.profileName));
    const left = (n: string) => {
      const r = rows.find((x) => x.name === n)!;
      return r.csw ? r.csw.getTime() - now.getTime() : null;
    };
    expect(left("Maria Oliveira")).toBe(24 * 3600_000 - 40 * 60_000); // open
    expect(left("João Pereira")).toBe(25 * 60_000); // about to close
    expect(left("Carla Mendes")).toBe(90_000); // closes during a demo
    expect(left("Pedro Santos")).toBeLessThan(0); // closed
    expect(left("Rafael Lima")).toBeNull(); // never wrote
    const luiza = rows.find((r) => r.name === "Luiza Costa")!;
    // FEP opened at the reply's delivery (110 min ago + 1.5 s) for 72h.
    expect(luiza.fep!.getTime() - now.getTime()).toBe(72 * 3600_000 - 110 * 60_000 + 1500);

    const convs = await db.select().from(schema.billingConversations);
    const byCat = (c: string) => convs.filter((x) => x.category === c);
    expect(byCat("free_entry_point")).toHaveLength(1);
    expect(byCat("marketing")).toHaveLength(1);
    expect(byCat("marketing")[0].costMicros).toBe(62500);
    expect(byCat("free_entry_point")[0].costMicros).toBe(0);
  });
});
