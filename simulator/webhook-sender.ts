/**
 * Posts signed webhooks to the app the way Meta does: raw body in Meta's escaped JSON, signed
 * with X-Hub-Signature-256, and retried with exponential backoff when the app answers non-2xx or
 * cannot be reached. Retries are bounded so a test run ends.
 */
import { log } from "../lib/logger";
import { metaJson, signBody } from "./meta-wire";
import type { SimulatorState, WebhookDelivery, WebhookKind } from "./state";

export type WebhookSenderOptions = {
  url: string;
  appSecret: string;
  /** Retries after the first attempt (default 5: 1 s, 2 s, 4 s, 8 s, 16 s). */
  retries: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  retryBaseMs: number;
  /** Per-attempt timeout (Meta gives up on slow endpoints too). */
  timeoutMs: number;
};

export class WebhookSender {
  private timers = new Set<NodeJS.Timeout>();
  private inflight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly state: SimulatorState,
    readonly opts: WebhookSenderOptions,
  ) {}

  /**
   * Signs and posts `payload`; resolves with the HTTP status of the first attempt (0 when the
   * connection failed). Failed deliveries keep retrying in the background.
   */
  async post(kind: WebhookKind, ref: string, detail: string, payload: unknown): Promise<WebhookDelivery> {
    const body = metaJson(payload);
    const delivery = this.state.newWebhook(kind, ref, detail, body, signBody(this.opts.appSecret, body));
    await this.attempt(delivery, 0);
    return delivery;
  }

  /** Posts a recorded delivery again, byte for byte (Meta's duplicate deliveries). */
  async replay(delivery: WebhookDelivery): Promise<number> {
    return this.send(delivery);
  }

  private async attempt(delivery: WebhookDelivery, n: number): Promise<void> {
    const status = await this.send(delivery);
    if (status >= 200 && status < 300) {
      delivery.delivered = true;
      delivery.retrying = false;
      return;
    }
    if (this.closed || n >= this.opts.retries) {
      delivery.retrying = false;
      if (!this.closed) {
        log.warn("simulator.webhook_gave_up", {
          kind: delivery.kind,
          ref: delivery.ref,
          attempts: n + 1,
          status,
        });
      }
      return;
    }
    delivery.retrying = true;
    const wait = this.opts.retryBaseMs * 2 ** n;
    log.warn("simulator.webhook_retry", { kind: delivery.kind, ref: delivery.ref, status, retryInMs: wait });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(delivery, n + 1);
    }, wait);
    this.timers.add(timer);
  }

  private async send(delivery: WebhookDelivery): Promise<number> {
    const ctrl = new AbortController();
    const timeout = setTimeout(() => ctrl.abort(), this.opts.timeoutMs);
    this.inflight.add(ctrl);
    try {
      const res = await fetch(this.opts.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": delivery.signature,
          "user-agent": "facebookexternalua",
        },
        body: delivery.body,
        signal: ctrl.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      delivery.attempts.push({ at: Date.now(), status: res.status });
      return res.status;
    } catch (err) {
      const error =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      delivery.attempts.push({ at: Date.now(), status: 0, error });
      return 0;
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(ctrl);
    }
  }

  /** Drops scheduled retries (reset). */
  cancelRetries() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.state.webhooks) w.retrying = false;
  }

  close() {
    this.closed = true;
    this.cancelRetries();
    for (const c of this.inflight) c.abort();
  }
}
