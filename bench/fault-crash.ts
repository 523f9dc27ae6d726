import "../lib/load-env";
import postgres from "postgres";
import {
  BENCH_SECRETS,
  ensureBuilt,
  freshDatabase,
  machine,
  progress,
  run,
  sleep,
  startApp,
} from "./lib/app";
import { num } from "./lib/args";
import type { BenchInbox } from "./lib/meta";
import { retryingSender } from "./lib/retrying-sender";

/**
 * Crash: the app (production build, real PostgreSQL) takes a webhook load from
 * a sender that retries un-acknowledged bodies as Meta does; `kill -9` in the
 * middle; started again `down` seconds later on the same port. Afterwards every
 * message the sender saw acknowledged must be stored, and none twice.
 *
 *   npx tsx bench/fault-crash.ts [--seconds 30] [--kill-at 10] [--down 3] [--concurrency 16] [--batch 1] [--rate 40]
 */
const seconds = num("seconds", 30);
const killAt = num("kill-at", 10);
const down = num("down", 3);
const concurrency = num("concurrency", 16);
const rate = num("rate", 40);
const batch = num("batch", 1);
const inbox: BenchInbox = { phoneNumberId: "940000000000001", wabaId: "940000000000002" };
const runId = Date.now().toString(36);

async function main() {
  ensureBuilt();
  const db = await freshDatabase("fault_crash");
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  let app = await startApp({ databaseUrl: db.url, env: { DB_POOL_MAX: "10" } });
  const port = app.port;
  try {
    await sql`insert into inboxes (name, phone_number_id, waba_id, display_number)
              values ('Crash', ${inbox.phoneNumberId}, ${inbox.wabaId}, '15550004444')`;
    const sender = retryingSender({
      url: () => app.url,
      secret: BENCH_SECRETS.WHATSAPP_APP_SECRET,
      inbox,
      runId,
      concurrency,
      batch,
      rate,
    });
    sender.start();
    progress(`load running; kill -9 at ${killAt} s`);
    await sleep(killAt * 1000);
    const inFlightAtKill = sender.inFlight();
    const pid = app.proc.pid;
    await app.kill9();
    const killedAt = Date.now();
    progress(`killed pid ${pid} with ${inFlightAtKill} bodies in flight; restarting in ${down} s`);
    await sleep(down * 1000);
    app = await startApp({ databaseUrl: db.url, port, env: { DB_POOL_MAX: "10" } });
    const backAfterMs = Date.now() - killedAt;
    progress(`app back after ${backAfterMs} ms (pid ${app.proc.pid}); load continues`);
    await sleep(Math.max(0, (seconds - killAt - down) * 1000));
    progress("stopping new bodies; waiting for every retry to be acknowledged");
    const report = await sender.finish();

    const ackedList = [...report.acked];
    const [{ stored, distinct, ackedStored }] = await sql<
      { stored: number; distinct: number; ackedStored: number }[]
    >`
      select count(*)::int as stored, count(distinct wamid)::int as distinct,
             count(*) filter (where wamid = any(${ackedList}))::int as "ackedStored"
        from messages where wamid like ${`wamid.fault.${runId}.%`}`;
    const result = {
      fault: "kill -9 mid-load",
      machine: machine(),
      params: { seconds, killAt, down, concurrency, batch, rate },
      inFlightAtKill,
      restartMs: backAfterMs,
      sender: { ...report, acked: report.acked.size },
      messagesAcked: report.acked.size,
      messagesStored: stored,
      ackedAndStored: ackedStored,
      duplicates: stored - distinct,
      lostAcknowledged: report.acked.size - ackedStored,
      nothingLostNoneTwice: ackedStored === report.acked.size && stored === distinct && report.unacked === 0,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\nkill -9 with ${inFlightAtKill} bodies in flight: ${report.acked.size} messages acknowledged, ${ackedStored} of them stored, ` +
        `${stored - distinct} duplicates, ${report.ackedAsDuplicate} bodies acknowledged as redeliveries → ` +
        `${result.nothingLostNoneTwice ? "nothing lost, none twice" : "FAILED"}`,
    );
    if (!result.nothingLostNoneTwice) process.exitCode = 1;
  } finally {
    await sql.end();
    await app.stop();
    await db.drop();
  }
}

run(main);
