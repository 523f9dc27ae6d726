import "../lib/load-env";
import postgres from "postgres";
import type { Socket } from "socket.io-client";
import { connectMany, createUsers, sessionCookie, stopReading } from "./lib/agents";
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
import { num, str } from "./lib/args";
import { type BenchInbox, inboundBody, postSigned, waIdFor } from "./lib/meta";

/**
 * Webhook → agent screen: `agents` sockets connected (agents spread over
 * `inboxes` inboxes, each in its inbox's room), signed one-message webhooks
 * POSTed at `rate` per second, and for every (message, socket) the time from
 * the POST leaving this process to `message:new` arriving on that socket.
 *
 * `--slow N` adds N supervisor sockets (they see every inbox) that never read:
 * their TCP streams are paused after the handshake, so the server's writes to
 * them pile up. The latency printed is that of the other sockets.
 *
 *   npx tsx bench/socket-latency.ts [--agents 200] [--rate 200] [--seconds 30] [--inboxes 10]
 *        [--slow 0] [--contacts 2000] [--adapter postgres|none]
 */
const agents = num("agents", 200);
const rate = num("rate", 200);
const seconds = num("seconds", 30);
const inboxCount = num("inboxes", 10);
const slow = num("slow", 0);
const contacts = num("contacts", 2000);
const adapter = str("adapter", "postgres");
const warmup = num("warmup", 100);
const runId = Date.now().toString(36);

async function main() {
  ensureBuilt();
  const db = await freshDatabase("bench_socket");
  const app = await startApp({ databaseUrl: db.url, env: { DB_POOL_MAX: "20", REALTIME_ADAPTER: adapter } });
  const sql = postgres(db.url, { max: 4, onnotice: () => {} });
  const sockets: Socket[] = [];
  try {
    const inboxes: Array<BenchInbox & { id: string }> = [];
    for (let i = 0; i < inboxCount; i++) {
      const phoneNumberId = String(910000000000000 + i);
      const [row] = await sql<{ id: string }[]>`
        insert into inboxes (name, phone_number_id, waba_id, display_number)
        values (${`Load ${i}`}, ${phoneNumberId}, '910000000000999', ${`1555000${i}`}) returning id`;
      inboxes.push({ id: row.id, phoneNumberId, wabaId: "910000000000999" });
    }
    const inboxIds = inboxes.map((i) => i.id);
    const agentIds = await createUsers(sql, agents, "agent", inboxIds);
    const slowIds = slow > 0 ? await createUsers(sql, slow, "supervisor", [], "slow") : [];
    const secret = BENCH_SECRETS.AUTH_SECRET;

    progress(`app up; ${inboxCount} inboxes, ${agents} agents, ${slow} slow; warming up`);
    // Warm the route and the JIT before any socket listens.
    for (let i = 0; i < warmup; i++) {
      const inbox = inboxes[i % inboxCount];
      await postSigned(
        app.url,
        inboundBody(inbox, [
          { waId: waIdFor(i % contacts), wamid: `wamid.warm.${runId}.${i}`, text: "warm" },
        ]),
        BENCH_SECRETS.WHATSAPP_APP_SECRET,
      );
    }

    progress("connecting sockets");
    const t0Connect = performance.now();
    const agentSockets = await connectMany(
      app.url,
      await Promise.all(agentIds.map((id) => sessionCookie(id, secret))),
    );
    const connectMs = performance.now() - t0Connect;
    sockets.push(...agentSockets);
    const slowSockets = await connectMany(
      app.url,
      await Promise.all(slowIds.map((id) => sessionCookie(id, secret, "supervisor"))),
    );
    sockets.push(...slowSockets);
    // Let every socket's `connection` handler join its rooms before the load starts.
    await sleep(2000);
    for (const s of slowSockets) stopReading(s);

    // messageId → arrival times (one per socket that got it), on the reading sockets only.
    const arrivals = new Map<string, number[]>();
    for (const s of agentSockets) {
      s.on("message:new", (e: { messageId: string }) => {
        const t = performance.now();
        const list = arrivals.get(e.messageId);
        if (list) list.push(t);
        else arrivals.set(e.messageId, [t]);
      });
    }
    const disconnected = { reading: 0, slow: 0 };
    for (const s of agentSockets) s.on("disconnect", () => disconnected.reading++);
    for (const s of slowSockets) s.on("disconnect", () => disconnected.slow++);

    const idleRss = app.rssMb();
    let peakRss = idleRss;
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, app.rssMb());
    }, 250);

    progress(`connected in ${Math.round(connectMs)} ms; posting ${rate}/s for ${seconds} s`);
    const postedAt: number[] = [];
    const acks: number[] = [];
    const statuses = new Map<number, number>();
    const pending: Promise<void>[] = [];
    const total = Math.round(rate * seconds);
    const t0 = performance.now();
    for (let seq = 0; seq < total; seq++) {
      const due = t0 + (seq * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const inbox = inboxes[seq % inboxCount];
      const raw = inboundBody(inbox, [
        { waId: waIdFor(seq % contacts), wamid: `wamid.lat.${runId}.${seq}`, text: `latency ${seq}` },
      ]);
      postedAt[seq] = performance.now();
      pending.push(
        postSigned(app.url, raw, BENCH_SECRETS.WHATSAPP_APP_SECRET).then((r) => {
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200) acks.push(r.ms);
        }),
      );
    }
    await Promise.all(pending);
    const sendSeconds = (performance.now() - t0) / 1000;
    await sleep(3000);
    clearInterval(rssTimer);

    progress("counting");
    const rows = await sql<{ id: string; wamid: string }[]>`
      select id, wamid from messages where wamid like ${`wamid.lat.${runId}.%`}`;
    const perInbox = agents / inboxCount;
    const latencies: number[] = [];
    const firsts: number[] = [];
    let delivered = 0;
    for (const r of rows) {
      const seq = Number(r.wamid.slice(r.wamid.lastIndexOf(".") + 1));
      const times = arrivals.get(r.id) ?? [];
      delivered += times.length;
      for (const t of times) latencies.push(t - postedAt[seq]);
      if (times.length) firsts.push(Math.min(...times) - postedAt[seq]);
    }
    const expected = rows.length * perInbox;
    const lat = latencySummary(latencies);
    const result = {
      bench: "socket-latency",
      machine: machine(),
      params: { agents, rate, seconds, inboxes: inboxCount, slow, adapter },
      connect200Ms: Math.round(connectMs),
      achievedRate: Math.round(total / sendSeconds),
      postsByStatus: Object.fromEntries(statuses),
      messagesStored: rows.length,
      deliveries: { expected, received: delivered, missing: expected - delivered },
      postToSocketMs: lat,
      postToFirstSocketMs: latencySummary(firsts),
      ackMs: latencySummary(acks),
      disconnected,
      rssMb: { idle: idleRss, peak: peakRss },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `\n${agents} agents (+${slow} never reading), ${result.achievedRate} msg/s: POST→socket p50 ${lat.p50} ms p99 ${lat.p99} ms ` +
        `(${delivered}/${expected} deliveries), peak RSS ${peakRss} MB`,
    );
  } finally {
    for (const s of sockets) s.close();
    await sql.end();
    await app.stop();
    await db.drop();
  }
}

run(main);
