import type { Db } from "../../db/client";
import { env } from "../env";
import { log } from "../logger";
import type { IngestEffects } from "./ingest-realtime";
import { emitCommitted, type IngestJob, type IngestSummary, storeWebhookBatch } from "./ingest-webhook";

/**
 * Group commit for webhook bodies. Each body is still acknowledged only after
 * the transaction that stored it has committed, but bodies that arrive while a
 * transaction is running wait for the next one and share it: at a few bodies a
 * second every body gets its own transaction at once; under load one
 * transaction stores dozens, with one multi-row statement per table instead of
 * one transaction of a dozen statements per body. That, not the database, was
 * the limit (see bench/RESULTS.md).
 *
 * A batch that fails for any reason but a deadlock (those are retried) is
 * stored again body by body, so a body that cannot be stored fails alone and
 * its sender (Meta) retries it; the others are acknowledged.
 *
 * Realtime events are emitted after the answers, one batch at a time in commit
 * order, so an agent never sees an older thread summary after a newer one.
 */
export type IngestBatcher = {
  submit(job: IngestJob): Promise<IngestSummary>;
};

export type BatcherOptions = {
  /** Transactions run at once by this process (they take their row locks in one order). */
  parallel?: number;
  /** Upper bound of a batch, in messages + statuses + template updates (a body is never split). */
  maxItems?: number;
};

type Waiting = {
  job: IngestJob;
  items: number;
  resolve: (s: IngestSummary) => void;
  reject: (e: unknown) => void;
};

export function createIngestBatcher(db: Db, opts: BatcherOptions = {}): IngestBatcher {
  const parallel = opts.parallel ?? env().WEBHOOK_BATCH_PARALLEL;
  const maxItems = opts.maxItems ?? 1000;
  const queue: Waiting[] = [];
  let running = 0;
  let emitting: Promise<void> = Promise.resolve();

  function take(): Waiting[] {
    const batch = [queue.shift()!];
    let items = batch[0].items;
    while (queue.length && items + queue[0].items <= maxItems) {
      items += queue[0].items;
      batch.push(queue.shift()!);
    }
    return batch;
  }

  async function store(batch: Waiting[]): Promise<void> {
    let result: { summaries: IngestSummary[]; effects: IngestEffects };
    const t0 = performance.now();
    try {
      result = await storeWebhookBatch(
        db,
        batch.map((w) => w.job),
      );
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      log.warn("webhook.batch_failed", { bodies: batch.length, error: (err as Error).message });
      for (const w of batch) await store([w]);
      return;
    }
    log.debug("webhook.batch", {
      bodies: batch.length,
      ms: Math.round(performance.now() - t0),
      queued: queue.length,
    });
    batch.forEach((w, i) => {
      w.resolve(result.summaries[i]);
    });
    emitting = emitting.then(() => emitCommitted(db, result.effects));
  }

  async function drain() {
    running++;
    try {
      while (queue.length) await store(take());
    } finally {
      running--;
    }
  }

  return {
    submit(job) {
      const items =
        job.webhook.messages.reduce(
          (n, m) => n + (m.value.messages?.length ?? 0) + (m.value.statuses?.length ?? 0),
          0,
        ) + job.webhook.templateUpdates.length;
      return new Promise<IngestSummary>((resolve, reject) => {
        queue.push({ job, items: Math.max(1, items), resolve, reject });
        if (running < parallel) void drain();
      });
    },
  };
}

const batchers = new WeakMap<Db, IngestBatcher>();

/** The process's batcher for `db` (one per connection pool). */
export function ingestBatcherFor(db: Db): IngestBatcher {
  let b = batchers.get(db);
  if (!b) {
    b = createIngestBatcher(db);
    batchers.set(db, b);
  }
  return b;
}
