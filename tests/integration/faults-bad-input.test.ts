import crypto from "node:crypto";
import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { messages, threads, webhookEvents } from "../../db/schema";
import { WEBHOOK_MAX_BYTES } from "../../lib/services/ingest-http";
import { createTestInbox, postWebhook, signBody } from "./helpers/webhook";

/**
 * 10,000 generated webhook bodies — wrong signatures, bytes that are not JSON,
 * JSON that is not a WhatsApp webhook, and Meta-shaped bodies with one part
 * broken (wrong types, missing fields, huge or odd Unicode strings, deep
 * nesting) — posted to the real route handler. Never a 500, each answered with
 * a documented status (200 stored / 400 not a webhook / 401 bad signature /
 * 413 too large), and what is stored matches what was acknowledged: a
 * webhook_events row for every 200 and none otherwise, and as many message rows
 * as the acknowledgements counted.
 */
const db = getDb();
const RUNS = 10_000;
const SEED = 20_261_125;
const tag = `fz${crypto.randomBytes(4).toString("hex")}`;
let inbox: { phoneNumberId: string; wabaId: string; id: string };

type Case = { kind: string; raw: Buffer | string; signature?: string | null; expect: number[] };

// ----------------------------------------------------------------- valid bodies, then broken

function validBody(n: number, msgCount: number, statusCount: number): Record<string, unknown> {
  const waId = `5511${String(100_000_000 + n).slice(-9)}`;
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: inbox.wabaId,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550001111", phone_number_id: inbox.phoneNumberId },
              contacts: [{ profile: { name: `Fuzz ${n}` }, wa_id: waId }],
              messages: Array.from({ length: msgCount }, (_, i) => ({
                from: waId,
                id: `wamid.${tag}.${n}.${i}`,
                timestamp: String(1_790_000_000 + n),
                type: "text",
                text: { body: `hello ${n}.${i}` },
              })),
              ...(statusCount
                ? {
                    statuses: Array.from({ length: statusCount }, (_, i) => ({
                      id: `wamid.${tag}.out.${n}.${i}`,
                      status: "delivered",
                      timestamp: String(1_790_000_000 + n),
                      recipient_id: waId,
                    })),
                  }
                : {}),
            },
          },
        ],
      },
    ],
  };
}

/** Every path (list of keys) inside a JSON value. */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push(...paths(x, [...prefix, i]));
    });
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

/**
 * Deep nesting is written as text (JSON.stringify and the generator's own tree walks recurse):
 * a placeholder string in the value, swapped for `depth` levels of arrays or objects.
 */
const deepMarker = (depth: number, asArray: boolean) => `@@deep:${depth}:${asArray ? "a" : "o"}@@`;
function expandDeep(raw: string): string {
  return raw.replace(/"@@deep:(\d+):([ao])@@"/g, (_, d: string, kind: string) => {
    const n = Number(d);
    return kind === "a"
      ? `${"[".repeat(n)}"bottom"${"]".repeat(n)}`
      : `${'{"d":'.repeat(n)}"bottom"${"}".repeat(n)}`;
  });
}

const lone = fc.constantFrom("\ud800", "\udfff", "a\ud83dz", "\u0000", "\u0000\u0000x", "\ufeff", "\u202e");
const oddString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.tuple(fc.string({ maxLength: 10 }), lone, fc.string({ maxLength: 10 })).map(([a, b, c]) => a + b + c),
  fc.integer({ min: 10_000, max: 400_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => "é😀".repeat(n)),
);
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant([]),
  fc.constant({}),
  oddString,
  fc.jsonValue({ maxDepth: 4 }),
  fc
    .record({ depth: fc.integer({ min: 50, max: 5_000 }), asArray: fc.boolean() })
    .map(({ depth, asArray }) => deepMarker(depth, asArray)),
);

type Mutation = { op: "delete" | "set"; at: number; value?: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: wrongValue }),
);

function mutate(body: Record<string, unknown>, muts: Mutation[]): unknown {
  let root: unknown = structuredClone(body);
  for (const m of muts) {
    const all = paths(root);
    const path = all[m.at % all.length];
    if (path.length === 0) {
      root = m.op === "set" ? m.value : undefined;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const key = path[path.length - 1];
    if (m.op === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else parent[key] = m.value;
  }
  return root;
}

// ----------------------------------------------------------------- the generator

function cases(): fc.Arbitrary<Case> {
  const index = fc.integer({ min: 0, max: 1_000_000_000 });
  const shaped = fc.record({
    n: index,
    msgs: fc.integer({ min: 0, max: 3 }),
    statuses: fc.integer({ min: 0, max: 2 }),
  });
  const broken: fc.Arbitrary<Case> = fc
    .record({ b: shaped, muts: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
    .map(({ b, muts }) => {
      const body = mutate(validBody(b.n, b.msgs, b.statuses), muts);
      const raw = body === undefined ? "" : expandDeep(JSON.stringify(body));
      return { kind: "meta-shaped, broken", raw, expect: [200, 400, 413] };
    });
  const intact: fc.Arbitrary<Case> = shaped.map((b) => ({
    kind: "meta-shaped, intact",
    raw: JSON.stringify(validBody(b.n, b.msgs, b.statuses)),
    expect: [200],
  }));
  const badSignature: fc.Arbitrary<Case> = fc
    .record({
      b: shaped,
      how: fc.constantFrom("missing", "wrong-secret", "garbage", "other-bytes", "truncated", "sha1-prefix"),
      junk: fc.string({ maxLength: 80 }),
    })
    .map(({ b, how, junk }) => {
      const raw = JSON.stringify(validBody(b.n, b.msgs, b.statuses));
      const signature =
        how === "missing"
          ? null
          : how === "wrong-secret"
            ? signBody(raw, "not-the-app-secret")
            : how === "garbage"
              ? junk
              : how === "other-bytes"
                ? signBody(`${raw} `)
                : how === "truncated"
                  ? signBody(raw).slice(0, 40)
                  : signBody(raw).replace("sha256=", "sha1=");
      return { kind: `bad signature (${how})`, raw, signature, expect: [401] };
    });
  const notJson: fc.Arbitrary<Case> = fc
    .oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      shaped.chain((b) => {
        const raw = JSON.stringify(validBody(b.n, b.msgs, b.statuses));
        return fc.integer({ min: 1, max: raw.length - 1 }).map((cut) => raw.slice(0, cut));
      }),
    )
    .map((raw) => ({ kind: "not JSON", raw, expect: [400] }));
  const notWebhook: fc.Arbitrary<Case> = fc
    .oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({ object: fc.string(), entry: fc.jsonValue({ maxDepth: 3 }) }),
      fc
        .record({ depth: fc.integer({ min: 100, max: 20_000 }), asArray: fc.boolean() })
        .map(({ depth, asArray }) => deepMarker(depth, asArray)),
    )
    .map((v) => ({
      kind: "JSON, not a webhook",
      raw: expandDeep(JSON.stringify(v) ?? "null"),
      expect: [400],
    }));
  return fc.oneof(
    { arbitrary: broken, weight: 40 },
    { arbitrary: intact, weight: 5 },
    { arbitrary: badSignature, weight: 20 },
    { arbitrary: notJson, weight: 15 },
    { arbitrary: notWebhook, weight: 20 },
  );
}

beforeAll(async () => {
  inbox = await createTestInbox(db, "Fuzz inbox");
});

describe("bad input", () => {
  it(`answers ${RUNS.toLocaleString("en")} generated bodies with their documented status, storing only what it acknowledged`, {
    timeout: 600_000,
  }, async () => {
    const all = fc.sample(cases(), { numRuns: RUNS, seed: SEED });
    // Bodies over Meta's 3 MB limit are cheap to refuse but costly to generate: a few, by hand.
    const big = "x".repeat(WEBHOOK_MAX_BYTES);
    for (let i = 0; i < 5; i++) {
      all.push({
        kind: "too large",
        raw: JSON.stringify({ object: "whatsapp_business_account", pad: big, i }),
        expect: [413],
      });
    }

    const wrong: Array<{ kind: string; status: number; body: string; raw: string }> = [];
    let acknowledgedEvents = 0;
    let acknowledgedMessages = 0;
    const byStatus = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let i = next++; i < all.length; i = next++) {
          const c = all[i];
          const signature = c.signature === undefined ? signBody(c.raw) : c.signature;
          const res = await postWebhook(c.raw, { signature });
          const text = await res.text();
          byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
          if (!c.expect.includes(res.status)) {
            wrong.push({
              kind: c.kind,
              status: res.status,
              body: text.slice(0, 300),
              raw: String(c.raw).slice(0, 300),
            });
            continue;
          }
          if (res.status === 200) {
            // Counted only for bodies naming our run (the rest name no inbox, or another tag).
            if (String(c.raw).includes(tag)) acknowledgedEvents++;
            acknowledgedMessages += (JSON.parse(text) as { messages: number }).messages;
          }
        }
      }),
    );
    expect(wrong.slice(0, 5), JSON.stringify(Object.fromEntries(byStatus))).toEqual([]);
    expect(byStatus.get(500) ?? 0).toBe(0);
    console.log(`bad input: ${all.length} bodies, by status ${JSON.stringify(Object.fromEntries(byStatus))}`);

    // Stored iff acknowledged: one raw event per 200 that carried our tag, none for the rest.
    const [{ events }] = await db
      .select({ events: sql<number>`count(*)::int` })
      .from(webhookEvents)
      .where(sql`${webhookEvents.body}::text like ${`%${tag}%`}`);
    expect(events).toBe(acknowledgedEvents);
    // As many message rows in our inbox as the acknowledgements said were stored, each whole.
    const stored = await db
      .select({ wamid: messages.wamid, type: messages.type, direction: messages.direction })
      .from(messages)
      .innerJoin(threads, eq(threads.id, messages.threadId))
      .where(eq(threads.inboxId, inbox.id));
    expect(stored).toHaveLength(acknowledgedMessages);
    expect(stored.every((m) => m.wamid && m.type && m.direction === "inbound")).toBe(true);
    expect(acknowledgedMessages).toBeGreaterThan(0);
  });
});
