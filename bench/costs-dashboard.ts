/**
 * The costs dashboard on a busy month: seeds 1,000,000 messages and 200,000 billing
 * conversations (plus 500,000 per-message billing rows, one per delivered outbound message) into a
 * dedicated database it creates on DATABASE_URL's server, then times the page's service call
 * (getCostsDashboard: every query the /costs page runs) several times under each model and with
 * filters, and prints p50 / max. Target: < 500 ms. The daily rollup (billing-rollup.ts) is built
 * after seeding, and today is left "dirty" as under live traffic, so today is summed live.
 *
 *   npx tsx bench/costs-dashboard.ts [--runs 7] [--keep] [--reuse costs_bench_xxx]
 *
 * Seeding uses `insert … select generate_series` so it takes a minute or two, not hours. The data
 * spans the 30 days before now, so "open now", the free tier and the projection have real work.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { closeDb, getDb } from "../db/client";
import { runMigrations } from "../db/migrate";
import { rebuildAllRollups } from "../lib/services/billing-rollup";
import { type CostsQuery, getCostsDashboard } from "../lib/services/costs";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg("runs", 7);
const KEEP = process.argv.includes("--keep");
const MESSAGES = arg("messages", 1_000_000);
const CONVERSATIONS = arg("conversations", 200_000);
const CONTACTS = arg("contacts", 100_000);

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const adminUrl = serverUrl.replace(/\/[^/?]*(\?.*)?$/, "/postgres$1");
const reuseAt = process.argv.indexOf("--reuse");
/** `--reuse NAME`: time an existing (kept) bench database again without re-seeding. */
const REUSE = reuseAt > 0 ? process.argv[reuseAt + 1] : null;
const dbName = REUSE ?? `costs_bench_${Date.now().toString(36)}`;
const benchUrl = serverUrl.replace(/\/[^/?]*(\?.*)?$/, `/${dbName}$1`);

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function seed(pg: postgres.Sql) {
  const t0 = process.hrtime.bigint();
  await pg`insert into workspace_settings (id) values (1) on conflict do nothing`;
  await pg`
    insert into users (email, name, password_hash, role)
    select 'agent' || g || '@bench.test', 'Agent ' || g, 'x', 'agent' from generate_series(1, 20) g`;
  await pg`
    insert into inboxes (name, phone_number_id, waba_id, display_number)
    select 'Inbox ' || g, (900000000000000 + g)::text, case when g <= 2 then '111111111111111' else '222222222222222' end,
           '+1555000000' || g
    from generate_series(1, 4) g`;
  await pg`
    insert into prices (model, category, micros, effective_from)
    select m::pricing_model, c, p, '2023-06-01'
    from (values ('marketing', 62500), ('utility', 8000), ('authentication', 31500), ('service', 0)) v(c, p),
         (values ('cbp'), ('pmp')) w(m)`;
  await pg`
    insert into contacts (wa_id, profile_name)
    select (5511900000000 + g)::text, 'Customer ' || g from generate_series(1, ${CONTACTS}) g`;
  await pg`
    insert into threads (inbox_id, contact_id, last_message_at)
    select (select array_agg(id order by name) from inboxes)[1 + (n % 4)], id, now()
    from (select id, row_number() over (order by wa_id) as n from contacts) c`;
  await pg`
    create temp table tx as
    select row_number() over (order by t.id) as n, t.id, t.inbox_id, t.contact_id, i.waba_id
    from threads t join inboxes i on i.id = t.inbox_id`;
  await pg`create unique index on tx (n)`;
  console.log(`  base rows (${CONTACTS} contacts/threads): ${ms(t0).toFixed(0)} ms`);

  // Messages: half inbound, half outbound; every outbound delivered 2 s later with Meta's verdict.
  const t1 = process.hrtime.bigint();
  const span = 30 * 24 * 3600;
  await pg`
    insert into messages (thread_id, direction, type, body, status, at, wamid, sender_user_id, delivered_at,
                          template_category, meta_pricing, meta_conversation, cost_category, cost_type, cost_micros)
    select tx.id,
           case when g % 2 = 0 then 'inbound'::message_direction else 'outbound'::message_direction end,
           case when g % 2 = 1 and g % 5 = 1 then 'template' else 'text' end,
           'message ' || g,
           case when g % 2 = 0 then 'received'::message_status else 'delivered'::message_status end,
           now() - make_interval(secs => ${span} * (1 - g::float8 / ${MESSAGES})),
           'wamid.bench.' || g,
           case when g % 2 = 1 then (select array_agg(id order by id) from users)[1 + g % 20] end,
           case when g % 2 = 1 then now() - make_interval(secs => ${span} * (1 - g::float8 / ${MESSAGES}) - 2) end,
           case when g % 2 = 1 and g % 5 = 1 then 'MARKETING' end,
           case when g % 2 = 1 then jsonb_build_object('pricing_model', 'CBP', 'billable', true,
                  'category', case when g % 5 = 1 then 'marketing' else 'service' end) end,
           case when g % 2 = 1 then jsonb_build_object('id', md5(g::text), 'origin',
                  jsonb_build_object('type', case when g % 5 = 1 then 'marketing' else 'service' end)) end,
           case when g % 2 = 1 then case when g % 5 = 1 then 'marketing' else 'service' end end,
           case when g % 2 = 1 then case when g % 5 = 1 then 'regular' else 'free_customer_service' end end,
           case when g % 2 = 1 then case when g % 5 = 1 then 62500 else 0 end end
    from generate_series(1, ${MESSAGES}) g
    join tx on tx.n = 1 + (g / 2) % ${CONTACTS}`;
  console.log(`  ${MESSAGES} messages: ${ms(t1).toFixed(0)} ms`);

  // Billing conversations: 50% service, 25% marketing, 15% utility, 5% authentication, 5% FEP.
  const t2 = process.hrtime.bigint();
  await pg`
    insert into billing_conversations (inbox_id, waba_id, contact_id, thread_id, category, opened_at, expires_at,
                                       cost_micros, free_reason, opened_by_user_id, meta_conversation_id)
    select tx.inbox_id, tx.waba_id, tx.contact_id, tx.id, c.category::conversation_category, o.at,
           o.at + case when c.category = 'free_entry_point' then interval '72 hours' else interval '24 hours' end,
           c.cost, c.reason, (select array_agg(id order by id) from users)[1 + g % 25], md5(g::text)
    from generate_series(1, ${CONVERSATIONS}) g
    join tx on tx.n = 1 + (g * 7) % ${CONTACTS}
    cross join lateral (select now() - make_interval(secs => ${span} * (1 - g::float8 / ${CONVERSATIONS})) as at) o
    cross join lateral (
      select case when g % 20 < 10 then 'service' when g % 20 < 15 then 'marketing' when g % 20 < 18 then 'utility'
                  when g % 20 < 19 then 'authentication' else 'free_entry_point' end as category,
             case when g % 20 < 10 then 0 when g % 20 < 15 then 62500 when g % 20 < 18 then 8000
                  when g % 20 < 19 then 31500 else 0 end as cost,
             case when g % 20 < 10 then (case when g < 4000 then 'free_tier' else 'free_price' end)
                  when g % 20 = 19 then 'free_entry_point' end as reason
    ) c`;
  console.log(`  ${CONVERSATIONS} billing conversations: ${ms(t2).toFixed(0)} ms`);

  // One billing_messages row per delivered outbound message; 1% disagree with Meta.
  const t3 = process.hrtime.bigint();
  await pg`
    insert into billing_messages (message_id, inbox_id, waba_id, contact_id, thread_id, sender_user_id, sent_at,
                                  delivered_at, template, category, pricing_category, pmp_type, cost_micros,
                                  cbp_category, meta_model, meta_category, meta_type, meta_billable,
                                  meta_conversation_id, meta_origin, mismatch)
    select m.id, tx.inbox_id, tx.waba_id, tx.contact_id, m.thread_id, m.sender_user_id, m.at, m.delivered_at,
           m.type = 'template', m.cost_category, m.cost_category, m.cost_type, m.cost_micros,
           m.cost_category, 'CBP', m.cost_category, null, true, m.meta_conversation ->> 'id', m.cost_category,
           case when right(m.wamid, 2) = '99' then 'conversation_split' end
    from messages m join threads t on t.id = m.thread_id join tx on tx.id = t.id
    where m.direction = 'outbound'`;
  console.log(`  billing messages: ${ms(t3).toFixed(0)} ms`);
  const t4 = process.hrtime.bigint();
  await pg`vacuum analyze`;
  console.log(`  vacuum analyze: ${ms(t4).toFixed(0)} ms`);
}

function stats(times: number[]) {
  const s = [...times].sort((a, b) => a - b);
  return { p50: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1], min: s[0] };
}

async function main() {
  console.log(`costs dashboard bench: database ${dbName} on ${adminUrl.replace(/\/\/[^@]*@/, "//")}`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  if (!REUSE) await admin.unsafe(`create database "${dbName}"`);
  try {
    await runMigrations(benchUrl);
    const pg = postgres(benchUrl, { max: 1, onnotice: () => {} });
    if (!REUSE) {
      console.log("seeding…");
      await seed(pg);
    }
    const [counts] = await pg`
      select (select count(*) from messages)::int as messages,
             (select count(*) from billing_conversations)::int as conversations,
             (select count(*) from billing_messages)::int as billing_messages`;
    await pg.end();

    process.env.DATABASE_URL = benchUrl;
    const db = getDb();
    const [{ rollups }] = await db.execute<{ rollups: number }>(
      sql`select count(*)::int as rollups from billing_rollup`,
    );
    if (rollups === 0) {
      const t = process.hrtime.bigint();
      const days = await rebuildAllRollups(db);
      console.log(`  rollup of ${days} WABA × days: ${ms(t).toFixed(0)} ms`);
    }
    // As under live traffic, today's rows changed since the last compaction: the page reads today live.
    await db.execute(sql`
      insert into billing_dirty_days (waba_id, day)
      select distinct waba_id, (now() at time zone 'UTC')::date from inboxes`);
    const now = new Date();
    const day = (d: Date) => new Date(`${d.toISOString().slice(0, 10)}T00:00:00Z`);
    const from = day(new Date(now.getTime() - 30 * 24 * 3600_000));
    const to = new Date(day(now).getTime() + 24 * 3600_000);
    const [inbox] = await db.query.inboxes.findMany({ limit: 1 });
    const cases: Array<[string, CostsQuery]> = [
      ["CBP, 31 days, all inboxes", { from, to, model: "cbp" }],
      ["PMP, 31 days, all inboxes", { from, to, model: "pmp" }],
      ["CBP, one inbox + marketing", { from, to, model: "cbp", inboxIds: [inbox.id], category: "marketing" }],
      ["CBP, one day", { from: day(now), to, model: "cbp" }],
    ];
    const results: Array<{ name: string; p50: number; max: number; min: number; total: number }> = [];
    for (const [name, q] of cases) {
      await getCostsDashboard(db, q); // warm-up: plans, caches
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = process.hrtime.bigint();
        const d = await getCostsDashboard(db, q);
        times.push(ms(t));
        total = d.totals.count;
      }
      results.push({ name, ...stats(times), total });
    }

    const mem = `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`;
    const cpu = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"})`;
    const [{ version }] = await db.execute<{ version: string }>(sql`select version()`);
    console.log(`\n## Costs dashboard (${now.toISOString().slice(0, 10)})\n`);
    console.log(
      `Machine: ${cpu}, ${mem}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" / ")}, Node ${process.version}`,
    );
    console.log(`PostgreSQL: ${String(version).split(",")[0]}`);
    console.log(
      `Data: ${counts.messages.toLocaleString("en-US")} messages, ${counts.conversations.toLocaleString("en-US")} billing conversations, ${counts.billing_messages.toLocaleString("en-US")} billing messages over 30 days. ${RUNS} runs after one warm-up, getCostsDashboard (all the page's queries).\n`,
    );
    console.log("| view | items | p50 ms | max ms |");
    console.log("|---|---:|---:|---:|");
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.total.toLocaleString("en-US")} | ${r.p50.toFixed(0)} | ${r.max.toFixed(0)} |`,
      );
    }
    const worst = Math.max(...results.map((r) => r.p50));
    console.log(`\nTarget < 500 ms: ${worst < 500 ? "met" : "NOT met"} (worst p50 ${worst.toFixed(0)} ms).`);
  } finally {
    await closeDb();
    if (!KEEP && !REUSE)
      await admin.unsafe(`drop database if exists "${dbName}" with (force)`).catch(() => {});
    else console.log(`kept database ${dbName}`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
