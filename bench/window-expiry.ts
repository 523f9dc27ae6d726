import "../lib/load-env";
import postgres from "postgres";
import type { Socket } from "socket.io-client";
import { runMigrations } from "../db/migrate";
import { connectSocket, createUsers, sessionCookie } from "./lib/agents";
import {
  BENCH_SECRETS,
  ensureBuilt,
  freshDatabase,
  latencySummary,
  machine,
  progress,
  run,
  sleep,
  startApp,
} from "./lib/app";
import { num } from "./lib/args";

/**
 * Window expiry at scale: `threads` threads whose customer-service windows
 * close one after another across `minutes` minutes (plus `idle` threads whose
 * windows close tomorrow), a supervisor socket listening, and for every
 * `thread:window` event the delay between the expiry instant and its arrival.
 * The app logs its announcer's scans at debug level: the timers it holds are
 * printed, to show they track the expiries of the next half minute, not the
 * number of threads.
 *
 *   npx tsx bench/window-expiry.ts [--threads 100000] [--minutes 60] [--idle 100000] [--lead 60]
 *
 * The case is 100,000 expiries across an hour; `--minutes 2` compresses
 * the same count into two minutes (≈833 expiries/s, 30× the hourly rate).
 * `lead` is how many seconds after seeding the first expiry falls (the app must
 * be up by then).
 */
const count = num("threads", 100_000);
const minutes = num("minutes", 60);
const idle = num("idle", 100_000);
const lead = num("lead", 60);

async function main() {
  ensureBuilt();
  const db = await freshDatabase("bench_windows");
  await runMigrations(db.url);
  const sql = postgres(db.url, { max: 4, onnotice: () => {} });
  const sockets: Socket[] = [];
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    const [inbox] = await sql<{ id: string }[]>`
      insert into inboxes (name, phone_number_id, waba_id, display_number)
      values ('Windows', '920000000000001', '920000000000002', '15550002222') returning id`;
    const firstMs = Date.now() + lead * 1000;
    const spanMs = minutes * 60_000;
    progress(`seeding ${count} expiring + ${idle} idle threads`);
    // Expiring: thread i's window closes at first + i/count of the span (whole milliseconds,
    // as the engine writes them); its customer wrote 24 h before that.
    await sql`
      with c as (
        insert into contacts (wa_id, profile_name)
        select '55' || lpad(g::text, 11, '0'), 'Customer ' || g from generate_series(1, ${count + idle}) g
        returning id, wa_id)
      insert into threads (inbox_id, contact_id, last_inbound_at, last_message_at, csw_expires_at)
      select ${inbox.id}, c.id, e.at - interval '24 hours', e.at - interval '24 hours', e.at
        from c, lateral (
          select case when substr(c.wa_id, 3)::int <= ${count}
            then to_timestamp(${firstMs}::double precision / 1000)
                 + make_interval(secs => round((substr(c.wa_id, 3)::int - 1)::numeric * ${spanMs} / ${Math.max(count, 1)}) / 1000)
            else now() + interval '20 hours' end as at) e`;
    await sql`analyze threads`;
    const lastMs = firstMs + spanMs;

    let maxTimers = 0;
    const scans: Array<{ at: string; due: number; timers: number }> = [];
    app = await startApp({
      databaseUrl: db.url,
      env: { DB_POOL_MAX: "10", LOG_LEVEL: "debug" },
      onStdoutLine: (line) => {
        if (!line.includes('"realtime.window_scan"')) return;
        try {
          const l = JSON.parse(line) as { t: string; due: number; timers: number };
          maxTimers = Math.max(maxTimers, l.timers);
          scans.push({ at: l.t, due: l.due, timers: l.timers });
        } catch {}
      },
    });
    if (Date.now() > firstMs - 5000)
      throw new Error("the app took longer than --lead to start: raise --lead");
    const [supervisor] = await createUsers(sql, 1, "supervisor", []);
    const socket = await connectSocket(
      app.url,
      await sessionCookie(supervisor, BENCH_SECRETS.AUTH_SECRET, "supervisor"),
    );
    sockets.push(socket);

    const seen = new Map<string, number>();
    const delays: number[] = [];
    let duplicates = 0;
    socket.on("thread:window", (e: { threadId: string; expiresAt: string | null }) => {
      const now = Date.now();
      const key = `${e.threadId}:${e.expiresAt}`;
      if (seen.has(key)) {
        duplicates++;
        return;
      }
      seen.set(key, now);
      if (e.expiresAt) delays.push(now - Date.parse(e.expiresAt));
    });

    const rssSamples: number[] = [];
    const idleRss = app.rssMb();
    const rssTimer = setInterval(() => rssSamples.push(app!.rssMb()), 1000);
    progress(
      `app up (RSS ${idleRss} MB); expiries from ${new Date(firstMs).toISOString()} for ${minutes} min`,
    );
    while (Date.now() < lastMs + 5000) {
      await sleep(Math.min(10_000, lastMs + 5000 - Date.now()));
      progress(`${seen.size}/${count} announced, timers held (max so far) ${maxTimers}`);
    }
    clearInterval(rssTimer);

    const lat = latencySummary(delays);
    const late = delays.filter((d) => d > 1000).length;
    const result = {
      bench: "window-expiry",
      machine: machine(),
      params: { threads: count, minutes, idle, expiriesPerSec: Math.round(count / (minutes * 60)) },
      announced: seen.size,
      expected: count,
      duplicates,
      delayMs: lat,
      laterThan1s: late,
      timersHeldMax: maxTimers,
      threadsInDatabase: count + idle,
      scans: scans.length,
      rssMb: { atStart: idleRss, max: Math.max(idleRss, ...rssSamples) },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\n${count} expiries over ${minutes} min (+${idle} idle threads): ${seen.size} announced, ` +
        `delay p50 ${lat.p50} ms p99 ${lat.p99} ms max ${lat.max} ms, ${late} later than 1 s, ` +
        `at most ${maxTimers} timers held for ${count + idle} threads`,
    );
  } finally {
    for (const s of sockets) s.close();
    await sql.end();
    await app?.stop();
    await db.drop();
  }
}

run(main);
