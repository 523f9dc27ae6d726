import "../lib/load-env";
import fs from "node:fs";
import postgres from "postgres";
import { type EmbeddedPg, startEmbeddedPostgres } from "../db/embedded";
import { BENCH_SECRETS, ensureBuilt, freePort, machine, progress, run, sleep, startApp } from "./lib/app";
import { num } from "./lib/args";
import type { BenchInbox } from "./lib/meta";
import { retryingSender } from "./lib/retrying-sender";

/**
 * Database restart: the app (production build) runs on its own PostgreSQL — an
 * embedded server, because the system one is shared and must not be restarted —
 * under a webhook load from a Meta-like retrying sender. Mid-load PostgreSQL is
 * stopped for `down` seconds and started again. The app is not touched: it must
 * reconnect by itself (its health endpoint says 503 while the database is away,
 * 200 after), and every acknowledged message must be stored, none twice.
 *
 *   npx tsx bench/fault-db-restart.ts [--seconds 30] [--stop-at 10] [--down 5] [--concurrency 16] [--rate 40]
 */
const seconds = num("seconds", 30);
const stopAt = num("stop-at", 10);
const down = num("down", 5);
const concurrency = num("concurrency", 16);
const rate = num("rate", 40);
const inbox: BenchInbox = { phoneNumberId: "950000000000001", wabaId: "950000000000002" };
const runId = Date.now().toString(36);

async function health(url: string): Promise<number> {
  try {
    const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

async function main() {
  ensureBuilt();
  const dataDir = `.data/bench-pg-${runId}`;
  const pgPort = await freePort();
  let pg: EmbeddedPg = await startEmbeddedPostgres({ dataDir, port: pgPort, database: "fault" });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  const app = await startApp({ databaseUrl: pg.url, env: { DB_POOL_MAX: "10" } });
  const appPid = app.proc.pid;
  try {
    await sql`insert into inboxes (name, phone_number_id, waba_id, display_number)
              values ('Restart', ${inbox.phoneNumberId}, ${inbox.wabaId}, '15550005555')`;
    await sql.end();
    const sender = retryingSender({
      url: () => app.url,
      secret: BENCH_SECRETS.WHATSAPP_APP_SECRET,
      inbox,
      runId,
      concurrency,
      rate,
    });
    sender.start();
    progress(`load running on embedded PostgreSQL :${pgPort}; stopping it at ${stopAt} s`);
    await sleep(stopAt * 1000);
    await pg.stop();
    const stoppedAt = Date.now();
    progress(`PostgreSQL stopped; down for ${down} s`);
    await sleep(Math.min(2000, down * 500));
    const healthWhileDown = await health(app.url);
    await sleep(Math.max(0, down * 1000 - (Date.now() - stoppedAt)));
    pg = await startEmbeddedPostgres({ dataDir, port: pgPort, database: "fault" });
    progress(`PostgreSQL started again after ${Date.now() - stoppedAt} ms`);
    let recoveredMs = -1;
    for (const t0 = Date.now(); Date.now() - t0 < 60_000; await sleep(200)) {
      if ((await health(app.url)) === 200) {
        recoveredMs = Date.now() - t0;
        break;
      }
    }
    progress(`app healthy again ${recoveredMs} ms after the database came back`);
    await sleep(Math.max(0, (seconds - stopAt - down) * 1000));
    const report = await sender.finish();

    const check = postgres(pg.url, { max: 1, onnotice: () => {} });
    const ackedList = [...report.acked];
    const [{ stored, distinct, ackedStored }] = await check<
      { stored: number; distinct: number; ackedStored: number }[]
    >`
      select count(*)::int as stored, count(distinct wamid)::int as distinct,
             count(*) filter (where wamid = any(${ackedList}))::int as "ackedStored"
        from messages where wamid like ${`wamid.fault.${runId}.%`}`;
    await check.end();
    const samePid = app.proc.exitCode === null && app.proc.pid === appPid;
    const result = {
      fault: "database restart mid-load",
      machine: machine(),
      params: { seconds, stopAt, down, concurrency, rate },
      healthWhileDown,
      healthyAgainAfterMs: recoveredMs,
      appNeverRestarted: samePid,
      sender: { ...report, acked: report.acked.size },
      messagesAcked: report.acked.size,
      messagesStored: stored,
      ackedAndStored: ackedStored,
      duplicates: stored - distinct,
      nothingLostNoneTwice:
        samePid &&
        recoveredMs >= 0 &&
        ackedStored === report.acked.size &&
        stored === distinct &&
        report.unacked === 0,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\ndatabase down ${down} s: health ${healthWhileDown} while down, 200 again ${recoveredMs} ms after it returned (same process: ${samePid}); ` +
        `${report.acked.size} acknowledged, ${ackedStored} stored, ${stored - distinct} duplicates → ` +
        `${result.nothingLostNoneTwice ? "reconnected, nothing lost" : "FAILED"}`,
    );
    if (!result.nothingLostNoneTwice) process.exitCode = 1;
  } finally {
    await app.stop();
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

run(main);
