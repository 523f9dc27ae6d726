import "../lib/load-env";
import crypto from "node:crypto";
import postgres from "postgres";
import { ensureBuilt, freshDatabase, machine, percentile, startApp } from "./lib/app";

/**
 * Webhook ingestion under load: signed Meta-shaped bodies POSTed to the running
 * app (production build, real PostgreSQL) at a fixed concurrency for N seconds.
 * Prints messages/s, acknowledgement latency, RSS, rows stored (exactly once?),
 * and the machine's reference figure: plain single-row INSERT transactions/s.
 *
 *   npx tsx bench/webhook-ingest.ts [--seconds 60] [--batch 1|50] [--concurrency 32] [--contacts 5000]
 */
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg("seconds", 60);
const batch = arg("batch", 1);
const concurrency = arg("concurrency", 32);
const contacts = arg("contacts", 5000);
const secret = process.env.WHATSAPP_APP_SECRET ?? "demo-app-secret";
const phoneNumberId = "900000000000001";

function body(seq: number): string {
  const messages = [];
  const contactsArr = [];
  for (let i = 0; i < batch; i++) {
    const n = seq * batch + i;
    const waId = `55119${String(n % contacts).padStart(8, "0")}`;
    contactsArr.push({ profile: { name: `Load ${n % contacts}` }, wa_id: waId });
    messages.push({
      from: waId,
      id: `wamid.bench.${process.pid}.${n}`,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: "text",
      text: { body: `load message ${n}` },
    });
  }
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "900000000000002",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550009999", phone_number_id: phoneNumberId },
              contacts: contactsArr,
              messages,
            },
          },
        ],
      },
    ],
  });
}

async function referenceInserts(url: string, secs: number): Promise<number> {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  await sql`create table if not exists bench_ref (id bigserial primary key, v text not null, at timestamptz default now())`;
  let n = 0;
  const end = Date.now() + secs * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await sql`insert into bench_ref (v) values (${"x"})`;
        n++;
      }
    }),
  );
  await sql.end();
  return n / secs;
}

async function main() {
  ensureBuilt();
  const db = await freshDatabase("bench_ingest");
  const app = await startApp({ databaseUrl: db.url, env: { DB_POOL_MAX: "20" } });
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  try {
    await sql`insert into inboxes (name, phone_number_id, waba_id, display_number) values ('Load', ${phoneNumberId}, '900000000000002', '15550009999')`;
    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    let seq = 0;
    let peakRss = 0;
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, app.rssMb());
    }, 500);
    const t0 = performance.now();
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const raw = body(seq++);
          const sig = `sha256=${crypto.createHmac("sha256", secret).update(raw).digest("hex")}`;
          const s = performance.now();
          try {
            const r = await fetch(`${app.url}/api/webhooks/whatsapp`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-hub-signature-256": sig },
              body: raw,
            });
            await r.arrayBuffer();
            if (r.status === 200) {
              ok++;
              latencies.push(performance.now() - s);
            } else failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(rssTimer);
    latencies.sort((a, b) => a - b);
    const [{ n: stored }] = await sql<{ n: number }[]>`
      select count(*)::int as n from messages m join threads t on t.id = m.thread_id
      join inboxes i on i.id = t.inbox_id where i.phone_number_id = ${phoneNumberId}`;
    const [{ d: dupes }] = await sql<{ d: number }[]>`
      select count(*)::int as d from (select wamid from messages group by wamid having count(*) > 1) x`;
    const ref = await referenceInserts(db.url, 10);
    const rate = (ok * batch) / elapsed;
    const result = {
      bench: `webhook-ingest batch=${batch}`,
      machine: machine(),
      seconds: Math.round(elapsed),
      concurrency,
      bodiesAcked: ok,
      bodiesFailed: failed,
      messagesPerSec: Math.round(rate),
      ackP50ms: Math.round(percentile(latencies, 50) * 10) / 10,
      ackP99ms: Math.round(percentile(latencies, 99) * 10) / 10,
      messagesStored: stored,
      expectedStored: ok * batch,
      duplicateWamids: dupes,
      exactlyOnce: stored === ok * batch && dupes === 0,
      peakRssMb: peakRss,
      referenceInsertTps: Math.round(ref),
      ratioToReference: Math.round((rate / ref) * 100) / 100,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await sql.end();
    await app.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
