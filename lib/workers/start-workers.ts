import { log } from "../logger";
import { startBillingRollupWorker } from "../services/billing-rollup";
import { startOutboxWorker } from "../services/outbox";
import { startCampaignSender } from "./campaign-sender";
import { startTemplateSync } from "./template-sync";

/**
 * Starts this instance's background workers (outbox, window-expiry announcer,
 * template sync). Each is safe with several instances (row locks / advisory locks).
 * Returns a stop function.
 */
export function startWorkers(): () => Promise<void> {
  const stops: Array<() => Promise<void> | void> = [];
  stops.push(startOutboxWorker());
  stops.push(startTemplateSync());
  stops.push(startCampaignSender());
  stops.push(startBillingRollupWorker());
  log.info("workers.started", { count: stops.length });
  return async () => {
    for (const s of stops) await s();
  };
}
