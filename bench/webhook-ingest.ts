import "../lib/load-env";
import postgres from "postgres";
import {
  BENCH_SECRETS,
  ensureBuilt,
  freshDatabase,
  latencySummary,
  machine,
  run,
  sleep,
  startApp,
} from "./lib/app";
import { num, str } from "./lib/args";
import { type BenchInbox, inboundBody, postSigned, waIdFor } from "./lib/meta";

/**
 * Webhook ingestion under load: signed Meta-shaped bodies POSTed to the app
 * (production build, real PostgreSQL, fresh database) from this process over
 * loopback for N seconds. Prints messages/s, acknowledgement latency, the app's
 * RSS, whether every acknowledged message is stored exactly once (rows counted
 * after), and the machine's reference figure: plain single-row INSERT
 * transactions/s from one Node process (postgres.js) at the same concurrency.
 *
 *   npx tsx bench/webhook-ingest.ts [--seconds 60] [--batch 1|50] [--concurrency 32]
 *        [--rate 0] [--contacts 5000] [--ref-seconds 10] [--adapter postgres|none] [--warmup 300]
 *
 * --rate 0 is a closed loop (each of `concurrency` senders posts again as soon
 * as it is answered: the capacity); --rate N posts N bodies/s on a schedule
 * (open loop, at most `concurrency × 4` in flight: the latency at that load).
 * `warmup` bodies go first and are not counted (Next loads a route's code on
 * its first request; the JIT warms up).
 */
const seconds = num("seconds", 60);
const batch = num("batch", 1);
const concurrency = num("concurrency", 32);
const rate = num("rate", 0);
const contacts = num("contacts", 5000);
const refSeconds = num("ref-seconds", 10);
const adapter = str("adapter", "postgres");
const warmup = num("warmup", 300);
const secret = BENCH_SECRETS.WHATSAPP_APP_SECRET;
const inbox: BenchInbox = { phoneNumberId: "900000000000001", wabaId: "900000000000002" };
const runId = Date.now().toString(36);

function body(seq: number, tag = runId): string {
  const msgs = Array.from({ length: batch }, (_, i) => {
    const n = seq * batch + i;
    return { waId: waIdFor(n % contacts), wamid: `wamid.bench.${tag}.${n}`, text: `load message ${n}` };
  });
  return inboundBody(inbox, msgs);
}

/** The reference: single-row INSERT transactions/s into the same database, same concurrency. */
export async function referenceInserts(url: string, secs: number, parallel: number): Promise<number> {
  const sql = postgres(url, { max: parallel, onnotice: () => {} });
  await sql`create table if not exists bench_ref (id bigserial primary key, v text not null, at timestamptz default now())`;
  let n = 0;
  const end = Date.now() + secs * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) {
        await sql`insert into bench_ref (v) values (${"x"})`;
        n++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await sql.end();
  return n / elapsed;
}

async function main() {
  ensureBuilt();
  const db = await freshDatabase("bench_ingest");
  const app = await startApp({
    databaseUrl: db.url,
    env: { DB_POOL_MAX: "20", REALTIME_ADAPTER: adapter },
  });
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  try {
    await sql`insert into inboxes (name, phone_number_id, waba_id, display_number)
              values ('Load', ${inbox.phoneNumberId}, ${inbox.wabaId}, '15550009999')`;
    let warm = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, 8) }, async () => {
        while (warm < warmup) await postSigned(app.url, body(warm++, `warm${runId}`), secret);
      }),
    );
    const idleRss = app.rssMb();
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let seq = 0;
    let inFlight = 0;
    let peakRss = idleRss;
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, app.rssMb());
    }, 250);

    const one = async () => {
      inFlight++;
      const r = await postSigned(app.url, body(seq++), secret);
      inFlight--;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) latencies.push(r.ms);
    };

    const t0 = performance.now();
    const end = Date.now() + seconds * 1000;
    if (rate > 0) {
      // Open loop: bodies leave on schedule whether or not earlier ones were answered.
      const pending: Promise<void>[] = [];
      let sent = 0;
      while (Date.now() < end) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        while (sent < due && inFlight < concurrency * 4) {
          pending.push(one());
          sent++;
        }
        await sleep(2);
      }
      await Promise.all(pending);
    } else {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < end) await one();
        }),
      );
    }
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(rssTimer);

    const acked = statuses.get(200) ?? 0;
    const [{ stored, distinct }] = await sql<{ stored: number; distinct: number }[]>`
      select count(*)::int as stored, count(distinct wamid)::int as distinct
        from messages where wamid like ${`wamid.bench.${runId}.%`}`;
    const ref = await referenceInserts(db.url, refSeconds, concurrency);
    const msgRate = (acked * batch) / elapsed;
    const lat = latencySummary(latencies);
    const result = {
      bench: "webhook-ingest",
      machine: machine(),
      params: { seconds, batch, concurrency, rate, contacts, adapter },
      elapsedS: Math.round(elapsed * 10) / 10,
      bodiesByStatus: Object.fromEntries(statuses),
      messagesPerSec: Math.round(msgRate),
      ackMs: lat,
      messagesAcked: acked * batch,
      messagesStored: stored,
      distinctWamids: distinct,
      exactlyOnce: stored === acked * batch && distinct === stored,
      rssMb: { idle: idleRss, peak: peakRss },
      referenceInsertTps: Math.round(ref),
      ratioToReference: Math.round((msgRate / ref) * 100) / 100,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\n${batch === 1 ? "1 msg/body" : `${batch} msgs/body`}: ${result.messagesPerSec} msg/s, ack p50 ${lat.p50} ms p99 ${lat.p99} ms, ` +
        `stored exactly once: ${result.exactlyOnce}, peak RSS ${peakRss} MB, reference ${result.referenceInsertTps} INSERT/s ` +
        `(ratio ${result.ratioToReference})`,
    );
  } finally {
    await sql.end();
    await app.stop();
    await db.drop();
  }
}

run(main);
