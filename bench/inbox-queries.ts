import "../lib/load-env";
import postgres from "postgres";
import { runMigrations } from "../db/migrate";
import { createUsers, sessionCookie } from "./lib/agents";
import {
  BENCH_SECRETS,
  ensureBuilt,
  freshDatabase,
  latencySummary,
  machine,
  progress,
  run,
  startApp,
} from "./lib/app";
import { num } from "./lib/args";

/**
 * The inbox at size: `threads` threads and `messages` messages (seeded with
 * generate_series), then the app's own routes — the thread list's first page
 * with its filters, and opening a thread — timed from this process over a
 * keep-alive loopback connection (server time plus well under a millisecond).
 *
 *   npx tsx bench/inbox-queries.ts [--threads 100000] [--messages 2000000] [--inboxes 5] [--iterations 40]
 */
const threadCount = num("threads", 100_000);
const messageCount = num("messages", 2_000_000);
const inboxCount = num("inboxes", 5);
const iterations = num("iterations", 40);

async function seed(sql: postgres.Sql) {
  const perThread = Math.max(1, Math.round(messageCount / threadCount));
  progress(`seeding ${inboxCount} inboxes, ${threadCount} threads, ${threadCount * perThread} messages`);
  await sql`
    insert into inboxes (name, phone_number_id, waba_id, display_number)
    select 'Inbox ' || g, (930000000000000 + g)::text, '930000000000999', '1555000' || g
      from generate_series(1, ${inboxCount}) g`;
  const agentIds = await createUsers(
    sql,
    inboxCount,
    "agent",
    (await sql<{ id: string }[]>`select id from inboxes order by phone_number_id`).map((r) => r.id),
  );
  const t0 = Date.now();
  await sql`
    insert into contacts (wa_id, profile_name)
    select '55' || lpad(g::text, 11, '0'), 'Customer ' || g from generate_series(1, ${threadCount}) g`;
  // Threads: spread over inboxes and the last 30 days; 30 % open, 10 % pending, 55 % resolved,
  // 5 % snoozed; half assigned to their inbox's agent.
  await sql`
    with i as (select id, row_number() over (order by phone_number_id) - 1 as k from inboxes),
         a as (select m.inbox_id, m.user_id from inbox_members m)
    insert into threads (inbox_id, contact_id, status, assignee_id, last_inbound_at, last_message_at,
                         last_message_preview, unread_count, csw_expires_at)
    select i.id, c.id,
           (case when n % 20 < 6 then 'open' when n % 20 < 8 then 'pending' when n % 20 < 19 then 'resolved'
                 else 'snoozed' end)::thread_status,
           case when n % 2 = 0 then a.user_id end,
           t.at, t.at, 'Message preview ' || n, (n % 3), t.at + interval '24 hours'
      from (select id, substr(wa_id, 3)::int as n from contacts) c
      join i on i.k = c.n % ${inboxCount}
      join a on a.inbox_id = i.id,
      lateral (select now() - make_interval(secs => (c.n * 2592000.0 / ${threadCount})) as at) t`;
  progress(`contacts + threads in ${Date.now() - t0} ms; messages next`);
  const t1 = Date.now();
  // Messages: `perThread` per thread, alternating in/out, 5 minutes apart, ending at the thread's last.
  await sql`
    insert into messages (thread_id, direction, type, body, wamid, status, at)
    select t.id,
           (case when k % 2 = 0 then 'inbound' else 'outbound' end)::message_direction,
           'text', 'Message ' || k || ' of thread ' || t.n,
           'wamid.seed.' || t.n || '.' || k,
           (case when k % 2 = 0 then 'received' else 'read' end)::message_status,
           t.last_message_at - make_interval(mins => (k - 1) * 5)
      from (select id, last_message_at, row_number() over () as n from threads) t,
           generate_series(1, ${perThread}) k`;
  progress(`messages in ${Date.now() - t1} ms; analyze`);
  await sql`analyze`;
  return agentIds;
}

async function main() {
  ensureBuilt();
  const db = await freshDatabase("bench_inbox");
  await runMigrations(db.url);
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    const agentIds = await seed(sql);
    const [supervisor] = await createUsers(sql, 1, "supervisor", [], "supervisor");
    app = await startApp({ databaseUrl: db.url, env: { DB_POOL_MAX: "10" } });
    const cookies = {
      supervisor: await sessionCookie(supervisor, BENCH_SECRETS.AUTH_SECRET, "supervisor"),
      agent: await sessionCookie(agentIds[0], BENCH_SECRETS.AUTH_SECRET, "agent"),
    };
    const [inbox] = await sql<{ id: string }[]>`select id from inboxes order by phone_number_id limit 1`;
    const sample = await sql<{ id: string }[]>`
      select id from threads where inbox_id = ${inbox.id} order by random() limit ${iterations}`;

    const time = async (path: string, cookie: string) => {
      const t = performance.now();
      const r = await fetch(`${app!.url}${path}`, { headers: { cookie } });
      const body = await r.arrayBuffer();
      if (r.status !== 200)
        throw new Error(`${path} → ${r.status} ${Buffer.from(body).toString().slice(0, 200)}`);
      return performance.now() - t;
    };
    const variants: Array<{ name: string; path: (i: number) => string; cookie: string }> = [
      // What any route costs here: Next's router plus one `select 1`, no session.
      { name: "baseline: /api/health", path: () => "/api/health", cookie: "" },
      {
        name: "list: all inboxes, active (supervisor)",
        path: () => "/api/inbox/threads?view=all&status=active",
        cookie: cookies.supervisor,
      },
      {
        name: "list: one inbox, open",
        path: () => `/api/inbox/threads?view=all&status=open&inboxId=${inbox.id}`,
        cookie: cookies.supervisor,
      },
      {
        name: "list: mine, open (agent)",
        path: () => "/api/inbox/threads?view=mine&status=open",
        cookie: cookies.agent,
      },
      {
        name: "list: unassigned, all statuses (agent)",
        path: () => "/api/inbox/threads?view=unassigned&status=all",
        cookie: cookies.agent,
      },
      {
        name: "list: search a name (supervisor)",
        path: (i) => `/api/inbox/threads?view=all&status=all&q=Customer%20${77 + i}`,
        cookie: cookies.supervisor,
      },
      {
        name: "open a thread (agent)",
        path: (i) => `/api/inbox/threads/${sample[i % sample.length].id}`,
        cookie: cookies.agent,
      },
    ];
    const results: Record<string, ReturnType<typeof latencySummary>> = {};
    for (const v of variants) {
      for (let i = 0; i < 3; i++) await time(v.path(i), v.cookie); // warm: route code, plans, cache
      const ms: number[] = [];
      for (let i = 0; i < iterations; i++) ms.push(await time(v.path(i), v.cookie));
      results[v.name] = latencySummary(ms);
      progress(`${v.name}: p50 ${results[v.name].p50} ms p99 ${results[v.name].p99} ms`);
    }
    const [{ threads: tn, messages: mn }] = await sql<{ threads: number; messages: number }[]>`
      select (select count(*)::int from threads) as threads, (select count(*)::int from messages) as messages`;
    console.log(
      JSON.stringify(
        { bench: "inbox-queries", machine: machine(), size: { threads: tn, messages: mn }, ms: results },
        null,
        2,
      ),
    );
  } finally {
    await sql.end();
    await app?.stop();
    await db.drop();
  }
}

run(main);
