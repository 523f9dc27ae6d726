/**
 * Prices change mid-month without rewriting what came before; the CSV export adds up to the
 * dashboard; the pricing model and price edits are admin-only and audited.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { auditLog, billingMessages, prices, users, workspaceSettings } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { replay } from "../../lib/pricing/replay";
import { recomputeAllBilling, recomputeBilling } from "../../lib/services/billing-recompute";
import { getCostsDashboard } from "../../lib/services/costs";
import { costItemsCsv, summaryCsv } from "../../lib/services/costs-export";
import { addPrice, deletePrice, setPricingModel } from "../../lib/services/prices";
import { HOUR, lastMonthStart, Scenario, SEED_RATES } from "./costs-scenario";

const db = getDb();
const DAY = 24 * HOUR;

/** Minimal RFC 4180 reader for our own output (quoted fields, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  return rows;
}

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let out = "";
  for await (const chunk of gen) out += chunk;
  return out;
}

describe("a price change mid-month", () => {
  let s: Scenario;
  let admin: { id: string; role: "admin" };
  const start = lastMonthStart();
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  const changeAt = new Date(start.getTime() + 14 * DAY); // the 15th, 00:00 UTC
  const NEW_MARKETING = 70000;

  beforeAll(async () => {
    s = await Scenario.create(db);
    const [u] = await db
      .insert(users)
      .values({
        email: `costs-admin-${s.market}@test.local`,
        name: "Costs Admin",
        passwordHash: "x",
        role: "admin",
      })
      .returning();
    admin = { id: u.id, role: "admin" };
    for (const day of [4, 9, 13, 15, 19, 24]) {
      const c = s.contact();
      s.sendDelivered(c, new Date(start.getTime() + day * DAY + 3 * HOUR), { template: "marketing" });
      s.customerWrites(c, new Date(start.getTime() + day * DAY + 4 * HOUR));
      s.sendDelivered(c, new Date(start.getTime() + day * DAY + 30 * HOUR)); // a day later: service
      s.sendDelivered(c, new Date(start.getTime() + day * DAY + 31 * HOUR), { template: "utility" });
    }
    // A marketing conversation opened just before the change and still open after it keeps the old price.
    const edge = s.contact();
    s.sendDelivered(edge, new Date(changeAt.getTime() - 1000), { template: "marketing", lagMs: 0 });
    s.sendDelivered(edge, new Date(changeAt.getTime() + HOUR), { template: "marketing" });
    await s.flush({ batch: 500 });
  });

  it("refuses a price that would rewrite a closed month, and non-admins", async () => {
    const input = {
      model: "cbp" as const,
      category: "marketing" as const,
      market: s.market,
      micros: NEW_MARKETING,
      effectiveFrom: changeAt,
    };
    await expect(addPrice(db, admin, input)).rejects.toMatchObject({
      code: "invalid_input",
      details: { field: "effectiveFrom" },
    });
    await expect(
      addPrice(db, { id: admin.id, role: "supervisor" }, input, { now: changeAt }),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(addPrice(db, admin, { ...input, micros: -1 }, { now: changeAt })).rejects.toMatchObject({
      code: "invalid_input",
      details: { field: "micros" },
    });
    await expect(
      addPrice(db, admin, { ...input, tierFromVolume: 1000 }, { now: changeAt }),
    ).rejects.toMatchObject({
      details: { field: "tierFromVolume" },
    });
    await expect(addPrice(db, admin, { ...input, market: "55a" }, { now: changeAt })).rejects.toBeInstanceOf(
      AppError,
    );
  });

  it("prices conversations opened from the effective date at the new price, earlier ones at the old", async () => {
    // As the admin would have on the 14th of that month.
    const row = await addPrice(
      db,
      admin,
      {
        model: "cbp",
        category: "marketing",
        market: `+${s.market}`,
        micros: NEW_MARKETING,
        effectiveFrom: changeAt,
      },
      { now: new Date(changeAt.getTime() - DAY) },
    );
    expect(row).toMatchObject({ market: s.market, micros: NEW_MARKETING });
    const [audit] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "prices.add"), eq(auditLog.targetId, row.id)));
    expect(audit.actorUserId).toBe(admin.id);

    const stats = await recomputeBilling(db, {
      wabaId: s.inbox.wabaId,
      from: start,
      to: end,
      rebuild: false,
    });
    // Marketing opened on the 16th, 20th and 25th; the edge's second template opened nothing.
    expect(stats.conversationsChanged).toBe(3);

    const oldR = replay(s.lines, { model: "cbp", rates: SEED_RATES });
    const newR = replay(s.lines, {
      model: "cbp",
      rates: { ...SEED_RATES, micros: { ...SEED_RATES.micros, marketing: NEW_MARKETING } },
    });
    let expected = 0;
    const byCategory: Record<string, number> = {};
    for (const [key, c] of Object.entries(oldR.contacts)) {
      (c.conversations ?? []).forEach((conv, i) => {
        const cost =
          Date.parse(conv.openedAt) >= changeAt.getTime()
            ? newR.contacts[key].conversations![i].costMicros
            : conv.costMicros;
        expected += cost;
        byCategory[conv.category] = (byCategory[conv.category] ?? 0) + cost;
      });
    }
    const d = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    expect(d.totals.costMicros).toBe(expected);
    expect(
      Object.fromEntries(d.byCategory.filter((c) => c.count > 0).map((c) => [c.category, c.costMicros])),
    ).toEqual(byCategory);
    expect(d.byCategory.find((c) => c.category === "marketing")!.costMicros).toBe(
      4 * 62500 + 3 * NEW_MARKETING,
    );
  });

  it("exports items and summary CSVs that add up to the dashboard", async () => {
    const f = { from: start, to: end, wabaId: s.inbox.wabaId };
    for (const model of ["cbp", "pmp"] as const) {
      const d = await getCostsDashboard(db, { ...f, model });
      const rows = parseCsv(await collect(costItemsCsv(db, model, f, { pageSize: 7 })));
      const header = rows[0];
      const body = rows.slice(1);
      const col = (name: string) => header.indexOf(name);
      expect(body).toHaveLength(d.totals.count);
      expect(body.reduce((sum, r) => sum + Number(r[col("cost_micros")]), 0)).toBe(d.totals.costMicros);
      // The decimal column is exact too: sum it as integers of micros.
      const decimalSum = body.reduce((sum, r) => sum + BigInt(r[col("cost")].replace(".", "")), 0n);
      expect(Number(decimalSum)).toBe(d.totals.costMicros);
      expect(new Set(body.map((r) => r[0])).size).toBe(body.length); // keyset pages neither skip nor repeat

      const summary = parseCsv(summaryCsv(d));
      const cats = summary.filter((r) => r[0] === "category");
      expect(cats.reduce((sum, r) => sum + Number(r[7]), 0)).toBe(d.totals.costMicros);
      expect(summary.find((r) => r[0] === "total")![7]).toBe(String(d.totals.costMicros));
    }
  });

  it("recomputing everything from the change on changes nothing more", async () => {
    const before = await getCostsDashboard(db, {
      from: start,
      to: end,
      wabaId: s.inbox.wabaId,
      model: "cbp",
    });
    await recomputeAllBilling(db, { since: changeAt });
    const after = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    expect(after.totals).toEqual(before.totals);
  });

  it("deletes only prices that have not priced a closed month", async () => {
    const [row] = await db
      .select()
      .from(prices)
      .where(and(eq(prices.market, s.market), eq(prices.micros, NEW_MARKETING)));
    await expect(deletePrice(db, admin, row.id)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(deletePrice(db, admin, "not-a-uuid")).rejects.toMatchObject({ code: "invalid_input" });
    const deleted = await deletePrice(db, admin, row.id, { now: changeAt });
    expect(deleted.id).toBe(row.id);
    await expect(deletePrice(db, admin, row.id, { now: changeAt })).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("the workspace pricing model", () => {
  it("is set by admins only, audited, and read by the dashboard", async () => {
    const [u] = await db
      .insert(users)
      .values({
        email: `costs-model-${Date.now()}@test.local`,
        name: "Model Admin",
        passwordHash: "x",
        role: "admin",
      })
      .returning();
    const rollback = new Error("rollback");
    // In a transaction rolled back at the end: other test files read the workspace model in parallel.
    await expect(
      db.transaction(async (tx) => {
        await expect(setPricingModel(tx, { id: u.id, role: "supervisor" }, "pmp")).rejects.toMatchObject({
          code: "forbidden",
        });
        await expect(setPricingModel(tx, { id: u.id, role: "admin" }, "per-message")).rejects.toMatchObject({
          code: "invalid_input",
        });
        const before = (await tx.select().from(workspaceSettings))[0]?.pricingModel ?? "cbp";
        const target = before === "cbp" ? "pmp" : "cbp";
        expect(await setPricingModel(tx, { id: u.id, role: "admin" }, target)).toMatchObject({
          changed: true,
          from: before,
          to: target,
        });
        expect(await setPricingModel(tx, { id: u.id, role: "admin" }, target)).toMatchObject({
          changed: false,
        });
        const d = await getCostsDashboard(tx, { from: new Date(Date.now() - DAY), to: new Date() });
        expect(d).toMatchObject({ model: target, workspaceModel: target });
        const [audit] = await tx
          .select()
          .from(auditLog)
          .where(eq(auditLog.action, "settings.pricing_model"))
          .orderBy(desc(auditLog.id))
          .limit(1);
        expect(audit).toMatchObject({ actorUserId: u.id, data: { from: before, to: target } });
        throw rollback;
      }),
    ).rejects.toBe(rollback);
  });
});

describe("per-message volume tiers", () => {
  it("prices each month's messages by how many the account already sent in that market", async () => {
    const s = await Scenario.create(db);
    const start = lastMonthStart();
    // From the 3rd marketing message of the month on (volume >= 2), this market pays less.
    const tiers = await db
      .insert(prices)
      .values([
        {
          model: "pmp",
          category: "marketing",
          market: s.market,
          micros: 50000,
          tierFromVolume: 2,
          effectiveFrom: new Date("2020-01-01"),
        },
        // A narrower market none of these customers is in (their next digit is never 0): its volume is counted apart.
        {
          model: "pmp",
          category: "marketing",
          market: `${s.market}0`,
          micros: 1,
          effectiveFrom: new Date("2020-01-01"),
        },
      ])
      .returning();
    try {
      const sends: string[] = [];
      for (let i = 0; i < 4; i++) {
        // One webhook body per delivery, in time order: each refresh counts the ones before it.
        sends.push(
          s.sendDelivered(s.contact(), new Date(start.getTime() + (i + 1) * DAY), { template: "marketing" }),
        );
        await s.flush();
      }
      const costs = async () => {
        const rows = await db
          .select()
          .from(billingMessages)
          .where(eq(billingMessages.wabaId, s.inbox.wabaId));
        return Object.fromEntries(rows.map((r) => [r.deliveredAt.toISOString(), r.costMicros]));
      };
      expect(Object.values(await costs()).sort()).toEqual([50000, 50000, 62500, 62500]);

      // Two more delivered earlier in the month, in one body: the month is re-ranked exactly by the recompute.
      s.sendDelivered(s.contact(), new Date(start.getTime() + 12 * HOUR), { template: "marketing" });
      s.sendDelivered(s.contact(), new Date(start.getTime() + 13 * HOUR), { template: "marketing" });
      await s.flush({ statusOrder: "reverse" });
      await recomputeBilling(db, {
        wabaId: s.inbox.wabaId,
        from: start,
        to: new Date(start.getTime() + 28 * DAY),
        rebuild: false,
      });
      const byTime = Object.entries(await costs()).sort(([a], [b]) => a.localeCompare(b));
      expect(byTime.map(([, c]) => c)).toEqual([62500, 62500, 50000, 50000, 50000, 50000]);
      const d = await getCostsDashboard(db, {
        from: start,
        to: new Date(start.getTime() + 28 * DAY),
        wabaId: s.inbox.wabaId,
        model: "pmp",
      });
      expect(d.totals.costMicros).toBe(2 * 62500 + 4 * 50000);
    } finally {
      // Tiers make every refresh count volumes: do not leave one behind for the other test files.
      await db.delete(prices).where(
        inArray(
          prices.id,
          tiers.map((t) => t.id),
        ),
      );
    }
  });
});
