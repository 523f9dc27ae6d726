import { type BenchInbox, inboundBody, postSigned, waIdFor } from "./meta";

/**
 * A webhook sender that behaves like Meta: events become bodies at a steady
 * rate whatever the app's state, and every body is retried until the app
 * answers 200 (connection refused, timeouts and 5xx all count as "not
 * acknowledged"), with a growing delay (Meta: minutes to hours, up to 7 days;
 * compressed here to 0.5 s … 8 s). Tracks which messages were acknowledged.
 */
export type SenderReport = {
  bodies: number;
  bodiesAcked: number;
  bodiesRetried: number;
  attempts: number;
  attemptsByStatus: Record<string, number>;
  /** Acknowledgements whose body the app already had (stored before a crash, the answer lost). */
  ackedAsDuplicate: number;
  acked: Set<string>;
  unacked: number;
};

export function retryingSender(opts: {
  url: () => string;
  secret: string;
  inbox: BenchInbox;
  runId: string;
  concurrency: number;
  batch?: number;
  contacts?: number;
  timeoutMs?: number;
  /** New bodies per second (Meta sends events as they happen, not as fast as we answer). */
  rate: number;
}) {
  const batch = opts.batch ?? 1;
  const contacts = opts.contacts ?? 1000;
  type Body = { seq: number; raw: string; wamids: string[]; attempts: number; dueAt: number };
  const retries: Body[] = [];
  const acked = new Set<string>();
  const byStatus = new Map<number, number>();
  let seq = 0;
  let bodies = 0;
  let bodiesAcked = 0;
  let retried = 0;
  let attempts = 0;
  let ackedAsDuplicate = 0;
  let producing = true;
  let inFlight = 0;

  const make = (): Body => {
    const s = seq++;
    const msgs = Array.from({ length: batch }, (_, i) => {
      const n = s * batch + i;
      return { waId: waIdFor(n % contacts), wamid: `wamid.fault.${opts.runId}.${n}`, text: `fault ${n}` };
    });
    bodies++;
    return {
      seq: s,
      raw: inboundBody(opts.inbox, msgs),
      wamids: msgs.map((m) => m.wamid),
      attempts: 0,
      dueAt: 0,
    };
  };

  let startedAt = 0;
  const nextBody = (): Body | null => {
    const now = Date.now();
    const i = retries.findIndex((b) => b.dueAt <= now);
    if (i >= 0) return retries.splice(i, 1)[0];
    return producing && bodies < ((now - startedAt) / 1000) * opts.rate ? make() : null;
  };

  const worker = async () => {
    for (;;) {
      const b = nextBody();
      if (!b) {
        if (!producing && retries.length === 0 && inFlight === 0) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      inFlight++;
      b.attempts++;
      attempts++;
      if (b.attempts === 2) retried++;
      const r = await postSigned(opts.url(), b.raw, opts.secret, opts.timeoutMs ?? 10_000);
      inFlight--;
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      if (r.status === 200) {
        bodiesAcked++;
        for (const w of b.wamids) acked.add(w);
        if ((r.body?.duplicates ?? 0) > 0) ackedAsDuplicate++;
      } else {
        b.dueAt = Date.now() + Math.min(8_000, 500 * 2 ** (b.attempts - 1));
        retries.push(b);
      }
    }
  };

  let workers: Promise<void>[] = [];
  return {
    start() {
      startedAt = Date.now();
      workers = Array.from({ length: opts.concurrency }, worker);
    },
    /** Stops making new bodies; resolves when every body made so far has been acknowledged. */
    async finish(deadlineMs = 180_000): Promise<SenderReport> {
      producing = false;
      await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, deadlineMs))]);
      return {
        bodies,
        bodiesAcked,
        bodiesRetried: retried,
        attempts,
        attemptsByStatus: Object.fromEntries(byStatus),
        ackedAsDuplicate,
        acked,
        unacked: bodies - bodiesAcked,
      };
    },
    inFlight: () => inFlight,
    pendingRetries: () => retries.length,
  };
}
