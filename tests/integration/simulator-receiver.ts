/**
 * Test fixture for the simulator tests: a tiny webhook receiver standing in for the app. It
 * records every POST with its raw bytes, checks X-Hub-Signature-256 against them in constant
 * time, and can be told to fail the next N deliveries. The simulator under test is real.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type RunningSimulator, type StartSimulatorOptions, startSimulator } from "../../simulator/app";

/** Webhook and response bodies are inspected structurally by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: deliberately untyped JSON
export type Json = any;

export type Received = {
  raw: string;
  json: WebhookBody;
  signature: string | undefined;
  signatureValid: boolean;
  answered: number;
};

export type WebhookBody = {
  object?: string;
  entry: Array<{ id: string; time?: number; changes: Array<{ field: string; value: Json }> }>;
};

export type Receiver = {
  url: string;
  received: Received[];
  /** Answer the next `n` deliveries whose raw body contains `match` (any, if omitted) with `status`. */
  failNext(n: number, status?: number, match?: string): void;
  close(): Promise<void>;
};

export const APP_SECRET = "sim-test-app-secret";

export function validSignature(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(raw).digest("hex"));
  const got = Buffer.from(header.slice("sha256=".length));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export async function startReceiver(secret = APP_SECRET): Promise<Receiver> {
  const received: Received[] = [];
  let failures: { n: number; status: number; match?: string } = { n: 0, status: 500 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers["x-hub-signature-256"] as string | undefined;
      let status = 200;
      if (failures.n > 0 && (failures.match === undefined || raw.includes(failures.match))) {
        failures.n -= 1;
        status = failures.status;
      }
      received.push({
        raw: raw.toString("utf8"),
        json: JSON.parse(raw.toString("utf8")),
        signature,
        signatureValid: validSignature(secret, raw, signature),
        answered: status,
      });
      res.writeHead(status).end(status === 200 ? "EVENT_RECEIVED" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/whatsapp`,
    received,
    failNext(n, status = 500, match) {
      failures = { n, status, match };
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A receiver plus a simulator posting to it, with short delays so tests stay fast. */
export async function startPair(
  opts: Partial<StartSimulatorOptions> = {},
): Promise<{ sim: RunningSimulator; receiver: Receiver; graph: string; close(): Promise<void> }> {
  const receiver = await startReceiver();
  const sim = await startSimulator({
    port: 0,
    webhookUrl: receiver.url,
    appSecret: APP_SECRET,
    statusDelayMs: 20,
    approvalDelayMs: 60,
    webhookRetries: 3,
    webhookRetryBaseMs: 40,
    ...opts,
  });
  return {
    sim,
    receiver,
    graph: `${sim.url}/v21.0`,
    async close() {
      await sim.close();
      await receiver.close();
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => T | undefined | null | false,
  timeoutMs = 5000,
  what = "condition",
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Status webhooks for one wamid, in arrival order. */
export function statusesOf(receiver: Receiver, wamid: string): Json[] {
  return receiver.received
    .flatMap((r) => r.json.entry.flatMap((e) => e.changes.flatMap((c) => c.value?.statuses ?? [])))
    .filter((s) => s.id === wamid);
}

/** JSON POST helper; Graph calls carry a bearer token like the app's client. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { authorization: "Bearer test-token" },
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function get(
  url: string,
  headers: Record<string, string> = { authorization: "Bearer test-token" },
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A random customer number, so parallel tests never share a chat. */
export function randomWaId(): string {
  return `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
}
