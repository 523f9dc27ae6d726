/**
 * The campaign sender worker: runs a campaign round (lib/services/campaigns.ts runCampaignRound)
 * every `intervalMs` and whenever a campaign is launched or resumed in this process. Everything
 * it needs lives in the database (recipient states, message client ids), so stopping it at any
 * point and starting another — here or in another instance — resumes without sending anyone twice.
 */
import type { Db } from "../../db/client";
import { getDb } from "../../db/client";
import { log } from "../logger";
import {
  newSenderState,
  registerCampaignSender,
  runCampaignRound,
  unregisterCampaignSender,
} from "../services/campaigns";

/** Starts the worker; the returned function stops it and waits for the round in progress. */
export function startCampaignSender(
  opts: { intervalMs?: number; db?: Db; inboxIds?: string[] } = {},
): () => Promise<void> {
  // Short rounds: the pacer hands out at most one second of sends, so 4 rounds a second keep 80/s smooth.
  const intervalMs = opts.intervalMs ?? 250;
  const state = newSenderState({ inboxIds: opts.inboxIds });
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runCampaignRound(opts.db ?? getDb(), state)
      .then(() => undefined)
      .catch((err) =>
        log.error("campaign_sender.round_failed", { error: String(err), stack: (err as Error)?.stack }),
      )
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run();
      schedule();
    }, intervalMs);
    timer.unref?.();
  };

  const worker = { kick: run };
  registerCampaignSender(worker);
  run();
  schedule();
  log.info("campaign_sender.started", { intervalMs });

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    unregisterCampaignSender(worker);
    await running;
  };
}
