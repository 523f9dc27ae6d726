/**
 * The Cloud API simulator's messaging side, over real HTTP: customers writing in (signed
 * `messages` webhooks in Meta's shape), the send API with its window gate and errors, and the
 * sent → delivered → read status webhooks whose conversation/pricing objects follow the rules.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_SECRET,
  get,
  post,
  type Received,
  randomWaId,
  startPair,
  statusesOf,
  validSignature,
  waitFor,
} from "./simulator-receiver";

const PHONE = "100000000000001"; // the demo Support number, built into the simulator
const WABA = "200000000000001";
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/meta", name), "utf8"));

/** Every key of `expected` (recursively, arrays by their first element) exists in `actual` with the same JSON type. */
function expectSameShape(actual: unknown, expected: unknown, at = "$") {
  const kind = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);
  expect(kind(actual), `${at} type`).toBe(kind(expected));
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length > 0) {
    expect(actual.length, `${at} length`).toBeGreaterThan(0);
    expectSameShape(actual[0], expected[0], `${at}[0]`);
  } else if (kind(expected) === "object") {
    for (const [k, v] of Object.entries(expected as object)) {
      expect(actual as object, `${at} has ${k}`).toHaveProperty([k]);
      expectSameShape((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    }
  }
}

const text = (to: string, body: string, extra: Record<string, unknown> = {}) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to,
  type: "text",
  text: { body },
  ...extra,
});

const summerSale = (to: string, params = ["Ana", "Friday"]) => ({
  messaging_product: "whatsapp",
  to,
  type: "template",
  template: {
    name: "summer_sale",
    language: { code: "en_US" },
    components: [{ type: "body", parameters: params.map((p) => ({ type: "text", text: p })) }],
  },
});

const inboundOf = (r: Received) => r.json.entry[0].changes[0].value.messages?.[0];

describe("simulator: messages (CBP)", () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    pair = await startPair();
  });
  afterAll(async () => {
    await pair.close();
  });

  it("delivers a customer's message as a signed webhook in Meta's exact shape", async () => {
    const from = randomWaId();
    const before = Math.floor(Date.now() / 1000);
    const res = await post(
      `${pair.sim.url}/_sim/inbound`,
      { from, name: "João Ninguém", text: "Olá / tudo bem?" },
      {},
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(200);
    expect(res.body.wamid).toMatch(/^wamid\./);

    const got = await waitFor(() => pair.receiver.received.find((r) => inboundOf(r)?.id === res.body.wamid));
    expect(got.signatureValid).toBe(true);
    // Signed over Meta's escaped bytes: re-serialised JSON would not verify.
    expect(got.raw).toContain("Jo\\u00e3o");
    expect(got.raw).toContain("\\/");
    expect(validSignature(APP_SECRET, Buffer.from(JSON.stringify(got.json)), got.signature)).toBe(false);

    expectSameShape(got.json, fixture("inbound-text.json"));
    const value = got.json.entry[0].changes[0].value;
    expect(got.json.object).toBe("whatsapp_business_account");
    expect(got.json.entry[0].id).toBe(WABA);
    expect(got.json.entry[0].changes[0].field).toBe("messages");
    expect(value.metadata).toEqual({ display_phone_number: "15550001111", phone_number_id: PHONE });
    expect(value.contacts).toEqual([{ profile: { name: "João Ninguém" }, wa_id: from }]);
    const msg = value.messages[0];
    expect(msg).toMatchObject({ from, type: "text", text: { body: "Olá / tudo bem?" } });
    expect(Number(msg.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(msg.timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(msg.referral).toBeUndefined();
  });

  it("sends free text inside the window: 200 + wamid, then signed sent/delivered/read with a service conversation", async () => {
    const to = randomWaId();
    await post(`${pair.sim.url}/_sim/inbound`, { from: to, text: "hi" }, {});
    const res = await post(`${pair.graph}/${PHONE}/messages`, text(to, "Hello! How can I help?"));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: expect.stringMatching(/^wamid\./) }],
    });
    const wamid = res.body.messages[0].id;
    const statuses = await waitFor(() => {
      const s = statusesOf(pair.receiver, wamid);
      return s.length === 3 && s;
    });
    expect(statuses.map((s) => s.status)).toEqual(["sent", "delivered", "read"]);
    const carriers = pair.receiver.received.filter((r) =>
      r.json.entry[0].changes[0].value.statuses?.some((s: { id: string }) => s.id === wamid),
    );
    expect(carriers).toHaveLength(3);
    for (const r of carriers) expect(r.signatureValid).toBe(true);
    const [sent, delivered, read] = statuses;
    expectSameShape(sent, fixture("status-sent-cbp-service.json").entry[0].changes[0].value.statuses[0]);
    expect(sent).toMatchObject({
      recipient_id: to,
      conversation: { origin: { type: "service" } },
      pricing: { billable: true, pricing_model: "CBP", category: "service" },
    });
    expect(sent.conversation.id).toMatch(/^[0-9a-f]{32}$/);
    // 24h conversation; expiration only with `sent`, the same conversation id on `delivered`.
    expect(Number(sent.conversation.expiration_timestamp) - Number(sent.timestamp)).toBeGreaterThanOrEqual(
      86399,
    );
    expect(Number(sent.conversation.expiration_timestamp) - Number(sent.timestamp)).toBeLessThanOrEqual(
      86401,
    );
    expect(delivered.conversation).toEqual({ id: sent.conversation.id, origin: { type: "service" } });
    expect(delivered.pricing).toEqual(sent.pricing);
    // Meta puts billing on `sent` and on the first of delivered/read only.
    expect(read.conversation).toBeUndefined();
    expect(read.pricing).toBeUndefined();
    for (const s of statuses) expect(s.timestamp).toMatch(/^\d{10}$/);

    const listed = await get(`${pair.sim.url}/_sim/sent?to=${to}`, {});
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({
      wamid,
      to,
      type: "text",
      payload: { text: { body: "Hello! How can I help?" } },
    });
    expect(listed.body.data[0].statuses.map((s: { status: string }) => s.status)).toEqual([
      "sent",
      "delivered",
      "read",
    ]);
  });

  it("refuses free text outside the window with Meta's 131047 error", async () => {
    const never = randomWaId();
    const r1 = await post(`${pair.graph}/${PHONE}/messages`, text(never, "hi"));
    expect(r1.status).toBe(400);
    expect(r1.body).toEqual({
      error: {
        message: "(#131047) Re-engagement message",
        type: "OAuthException",
        code: 131047,
        error_data: {
          messaging_product: "whatsapp",
          details:
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        },
        fbtrace_id: expect.any(String),
      },
    });
    // The customer wrote 25 hours ago: the window closed an hour ago.
    const old = randomWaId();
    const ts = Math.floor(Date.now() / 1000) - 25 * 3600;
    const inb = await post(
      `${pair.sim.url}/_sim/inbound`,
      { from: old, text: "yesterday", timestamp: ts },
      {},
    );
    expect(inb.status).toBe(200);
    const r2 = await post(`${pair.graph}/${PHONE}/messages`, { ...text(old, "too late"), type: "text" });
    expect(r2.body.error.code).toBe(131047);
    const r3 = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to: old,
      type: "reaction",
      reaction: { message_id: inb.body.wamid, emoji: "👍" },
    });
    expect(r3.body.error.code).toBe(131047);
    expect((await get(`${pair.sim.url}/_sim/sent?to=${old}`, {})).body.data).toEqual([]);
  });

  it("opens a marketing conversation for a marketing template; another one rides on it; utility opens its own", async () => {
    const to = randomWaId();
    const r1 = await post(`${pair.graph}/${PHONE}/messages`, summerSale(to));
    expect(r1.status).toBe(200);
    expect(r1.body.messages[0]).toEqual({ id: expect.any(String), message_status: "accepted" });
    const w1 = r1.body.messages[0].id;
    const s1 = await waitFor(() => statusesOf(pair.receiver, w1).find((s) => s.status === "delivered"));
    expect(s1).toMatchObject({
      conversation: { origin: { type: "marketing" } },
      pricing: { billable: true, pricing_model: "CBP", category: "marketing" },
    });

    const r2 = await post(`${pair.graph}/${PHONE}/messages`, summerSale(to, ["Ana", "Monday"]));
    const s2 = await waitFor(() =>
      statusesOf(pair.receiver, r2.body.messages[0].id).find((s) => s.status === "sent"),
    );
    expect(s2.conversation.id).toBe(s1.conversation.id);

    const r3 = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "template",
      template: {
        name: "order_update",
        language: { code: "en_US" },
        components: [
          { type: "body", parameters: ["Ana", "#1", "today"].map((t) => ({ type: "text", text: t })) },
        ],
      },
    });
    const s3 = await waitFor(() =>
      statusesOf(pair.receiver, r3.body.messages[0].id).find((s) => s.status === "sent"),
    );
    expect(s3).toMatchObject({
      conversation: { origin: { type: "utility" } },
      pricing: { category: "utility" },
    });
    expect(s3.conversation.id).not.toBe(s1.conversation.id);

    // Named parameters (follow_up uses {{first_name}} and {{ticket}}).
    const r4 = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "template",
      template: {
        name: "follow_up",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", parameter_name: "first_name", text: "Ana" },
              { type: "text", parameter_name: "ticket", text: "#9" },
            ],
          },
        ],
      },
    });
    expect(r4.status).toBe(200);
    const chat = await get(`${pair.sim.url}/_sim/conversation?wa_id=${to}`, {});
    const first = chat.body.items[0];
    expect(first.template).toMatchObject({
      name: "summer_sale",
      header: "Summer sale",
      footer: "Reply STOP to opt out",
    });
    expect(first.text).toBe("Hi Ana, our summer sale ends on Friday. Reply to get 20% off!");
    expect(first.buttons).toEqual([{ kind: "quick_reply", id: "I want it", title: "I want it" }]);
    expect(chat.body.items[3].text).toBe(
      "Hi Ana, we are following up on your request #9. Reply here to continue.",
    );
  });

  it("answers template errors like Meta: 132001 missing/not approved, 132000 parameter count", async () => {
    const to = randomWaId();
    const missing = await post(`${pair.graph}/${PHONE}/messages`, {
      ...summerSale(to),
      template: { name: "nope_template", language: { code: "en_US" } },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 132001, type: "OAuthException" });
    expect(missing.body.error.error_data.details).toBe(
      "template name (nope_template) does not exist in en_US",
    );

    const pending = await post(`${pair.graph}/${PHONE}/messages`, {
      ...summerSale(to),
      template: { name: "black_friday_teaser", language: { code: "en_US" }, components: [] },
    });
    expect(pending.body.error.code).toBe(132001);
    const wrongLanguage = await post(`${pair.graph}/${PHONE}/messages`, {
      ...summerSale(to),
      template: { ...summerSale(to).template, language: { code: "pt_BR" } },
    });
    expect(wrongLanguage.body.error.code).toBe(132001);

    const params = await post(`${pair.graph}/${PHONE}/messages`, summerSale(to, ["only one"]));
    expect(params.status).toBe(400);
    expect(params.body.error).toMatchObject({
      code: 132000,
      message: "(#132000) Number of parameters does not match the expected number of params",
    });
    expect(params.body.error.error_data.details).toContain(
      "(1) does not match the expected number of params (2)",
    );
    const named = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "template",
      template: {
        name: "follow_up",
        language: { code: "en_US" },
        components: [{ type: "body", parameters: [{ type: "text", parameter_name: "name", text: "Ana" }] }],
      },
    });
    expect(named.body.error.code).toBe(132000);
    expect((await get(`${pair.sim.url}/_sim/sent?to=${to}`, {})).body.data).toEqual([]);
  });

  it("rejects malformed requests: bad JSON, missing fields, invalid recipient, no token", async () => {
    const to = randomWaId();
    const badJson = await post(`${pair.graph}/${PHONE}/messages`, "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatchObject({ code: 100, message: "(#100) Invalid parameter" });
    const noProduct = await post(`${pair.graph}/${PHONE}/messages`, {
      to,
      type: "text",
      text: { body: "x" },
    });
    expect(noProduct.body.error.code).toBe(100);
    const noBody = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "text",
      text: {},
    });
    expect(noBody.body.error.code).toBe(100);
    const badType = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "fax",
    });
    expect(badType.body.error.code).toBe(100);
    const badTo = await post(`${pair.graph}/${PHONE}/messages`, text("not-a-number", "hi"));
    expect(badTo.status).toBe(400);
    expect(badTo.body.error.code).toBe(131026);
    const noToken = await post(`${pair.graph}/${PHONE}/messages`, text(to, "hi"), {});
    expect(noToken.status).toBe(401);
    expect(noToken.body.error.code).toBe(190);
    const badInbound = await post(`${pair.sim.url}/_sim/inbound`, { from: "abc", text: "x" }, {});
    expect(badInbound.status).toBe(400);
    expect(badInbound.body.error.message).toContain('"from"');
  });

  it("a Click-to-WhatsApp referral then a reply opens a free entry point (referral_conversion, 72h, not billable)", async () => {
    const from = randomWaId();
    const inb = await post(
      `${pair.sim.url}/_sim/inbound`,
      { from, name: "Lia", text: "Info?", referral: true },
      {},
    );
    const got = await waitFor(() => pair.receiver.received.find((r) => inboundOf(r)?.id === inb.body.wamid));
    expectSameShape(got.json, fixture("inbound-text-ctwa-referral.json"));
    expect(inboundOf(got).referral).toMatchObject({ source_type: "ad", ctwa_clid: expect.any(String) });

    const res = await post(`${pair.graph}/${PHONE}/messages`, text(from, "They start at R$19"));
    const [sent, delivered] = await waitFor(() => {
      const s = statusesOf(pair.receiver, res.body.messages[0].id);
      return s.length >= 2 && s;
    });
    expect(sent).toMatchObject({
      conversation: { origin: { type: "referral_conversion" } },
      pricing: { billable: false, pricing_model: "CBP", category: "referral_conversion" },
    });
    expect(Number(sent.conversation.expiration_timestamp) - Number(sent.timestamp)).toBeGreaterThanOrEqual(
      72 * 3600 - 1,
    );
    expect(delivered.conversation.id).toBe(sent.conversation.id);
    // A marketing template inside the FEP is free too.
    const tpl = await post(`${pair.graph}/${PHONE}/messages`, summerSale(from));
    const s = await waitFor(() =>
      statusesOf(pair.receiver, tpl.body.messages[0].id).find((x) => x.status === "sent"),
    );
    expect(s.conversation).toMatchObject({
      id: sent.conversation.id,
      origin: { type: "referral_conversion" },
    });
    expect(s.pricing.billable).toBe(false);
  });

  it("echoes biz_opaque_callback_data and counts accepted POSTs per idempotency key", async () => {
    const to = randomWaId();
    await post(`${pair.sim.url}/_sim/inbound`, { from: to, text: "hi" }, {});
    const key = `msg-${to}`;
    const a = await post(
      `${pair.graph}/${PHONE}/messages`,
      text(to, "once", { biz_opaque_callback_data: key }),
    );
    const statuses = await waitFor(() => {
      const s = statusesOf(pair.receiver, a.body.messages[0].id);
      return s.length === 3 && s;
    });
    for (const s of statuses) expect(s.biz_opaque_callback_data).toBe(key);
    let state = await get(`${pair.sim.url}/_sim/state`, {});
    expect(state.body.posts_by_key[key]).toBe(1);
    await post(`${pair.graph}/${PHONE}/messages`, text(to, "once", { biz_opaque_callback_data: key }));
    state = await get(`${pair.sim.url}/_sim/state`, {});
    expect(state.body.duplicates).toContainEqual({ key, posts: 2 });
  });

  it("marks customer messages read, and fails deliveries to an undeliverable number with 131026", async () => {
    const from = randomWaId();
    const inb = await post(`${pair.sim.url}/_sim/inbound`, { from, text: "anyone?" }, {});
    const read = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      status: "read",
      message_id: inb.body.wamid,
    });
    expect(read).toEqual({ status: 200, body: { success: true } });
    const chat = await get(`${pair.sim.url}/_sim/conversation?wa_id=${from}`, {});
    expect(chat.body.items[0]).toMatchObject({ wamid: inb.body.wamid, readByBusiness: true });

    await post(`${pair.sim.url}/_sim/undeliverable`, { wa_id: from }, {});
    const res = await post(`${pair.graph}/${PHONE}/messages`, text(from, "hello?"));
    expect(res.status).toBe(200);
    const failed = await waitFor(() =>
      statusesOf(pair.receiver, res.body.messages[0].id).find((s) => s.status === "failed"),
    );
    expect(failed.errors[0]).toMatchObject({ code: 131026, title: "Message undeliverable" });
    expect(statusesOf(pair.receiver, res.body.messages[0].id).map((s) => s.status)).toEqual([
      "sent",
      "failed",
    ]);
  });

  it("serves inbound media like Meta: webhook media id → GET /{media-id} → bearer-protected bytes; uploads too", async () => {
    const from = randomWaId();
    const inb = await post(
      `${pair.sim.url}/_sim/inbound`,
      { from, type: "image", caption: "my receipt" },
      {},
    );
    expect(inb.status).toBe(200);
    const image = inb.body.message.image;
    expect(image).toMatchObject({ caption: "my receipt", mime_type: "image/png", id: expect.any(String) });
    const got = await waitFor(() => pair.receiver.received.find((r) => inboundOf(r)?.id === inb.body.wamid));
    expectSameShape(got.json, fixture("inbound-image.json"));

    const meta = await get(`${pair.graph}/${image.id}`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ messaging_product: "whatsapp", id: image.id, mime_type: "image/png" });
    expect((await fetch(meta.body.url)).status).toBe(401);
    const bytes = Buffer.from(
      await (await fetch(meta.body.url, { headers: { authorization: "Bearer t" } })).arrayBuffer(),
    );
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(bytes.length).toBe(meta.body.file_size);
    expect(createHash("sha256").update(bytes).digest("base64")).toBe(image.sha256);

    const form = new FormData();
    form.set("messaging_product", "whatsapp");
    form.set("type", "application/pdf");
    form.set("file", new Blob([Buffer.from("%PDF-1.4 tiny")], { type: "application/pdf" }), "invoice.pdf");
    const up = await fetch(`${pair.graph}/${PHONE}/media`, {
      method: "POST",
      headers: { authorization: "Bearer t" },
      body: form,
    });
    const { id } = (await up.json()) as { id: string };
    expect(up.status).toBe(200);
    expect((await get(`${pair.graph}/${id}`)).body).toMatchObject({
      mime_type: "application/pdf",
      file_size: 13,
    });
  });
});

describe("simulator: faults and retries", () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    pair = await startPair();
  });
  afterAll(async () => {
    await pair.close();
  });

  it("an injected 500 outage answers Meta's transient error until it is lifted", async () => {
    const to = randomWaId();
    await post(`${pair.sim.url}/_sim/inbound`, { from: to, text: "hi" }, {});
    expect((await post(`${pair.sim.url}/_sim/outage`, { mode: "500", forMs: 60_000 }, {})).status).toBe(200);
    const down = await post(`${pair.graph}/${PHONE}/messages`, text(to, "during outage"));
    expect(down.status).toBe(500);
    expect(down.body.error).toMatchObject({ code: 2, is_transient: true, type: "OAuthException" });
    expect((await fetch(`${pair.sim.url}/_sim/outage`, { method: "DELETE" })).status).toBe(200);
    const up = await post(`${pair.graph}/${PHONE}/messages`, text(to, "after outage"));
    expect(up.status).toBe(200);
    expect((await get(`${pair.sim.url}/_sim/sent?to=${to}`, {})).body.data).toHaveLength(1);
  });

  it("a 429 outage limited by count throttles once with 130429, then recovers by itself", async () => {
    await post(`${pair.sim.url}/_sim/outage`, { mode: "429", count: 1 }, {});
    const r1 = await post(`${pair.graph}/${PHONE}/messages`, summerSale(randomWaId()));
    expect(r1.status).toBe(429);
    expect(r1.body.error.code).toBe(130429);
    const r2 = await post(`${pair.graph}/${PHONE}/messages`, summerSale(randomWaId()));
    expect(r2.status).toBe(200);
  });

  const hangingSend = (body: unknown) =>
    fetch(`${pair.graph}/${PHONE}/messages`, {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(
      () => "answered",
      () => "dropped",
    );
  const heldRequests = async () => (await get(`${pair.sim.url}/_sim/state`, {})).body.held_requests as number;
  const untilHeld = async () => {
    for (let i = 0; i < 500 && (await heldRequests()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await heldRequests()).toBe(1);
  };

  it("a timeout outage holds the request unanswered and drops the connection when it ends", async () => {
    const to = randomWaId();
    await post(`${pair.sim.url}/_sim/outage`, { mode: "timeout", forMs: 60_000 }, {});
    const outcome = hangingSend(summerSale(to));
    await untilHeld();
    await fetch(`${pair.sim.url}/_sim/outage`, { method: "DELETE" });
    expect(await outcome).toBe("dropped");
    expect((await get(`${pair.sim.url}/_sim/sent?to=${to}`, {})).body.data).toEqual([]);
    expect((await post(`${pair.graph}/${PHONE}/messages`, summerSale(to))).status).toBe(200);
  });

  it("a timeout outage also ends by itself after forMs", async () => {
    await post(`${pair.sim.url}/_sim/outage`, { mode: "timeout", forMs: 1000 }, {});
    expect(await hangingSend(summerSale(randomWaId()))).toBe("dropped");
    expect(await heldRequests()).toBe(0);
  });

  it("timeout_after_accept: the message goes out although the caller never hears back", async () => {
    const to = randomWaId();
    await post(`${pair.sim.url}/_sim/outage`, { mode: "timeout_after_accept", count: 1, forMs: 60_000 }, {});
    const outcome = hangingSend({ ...summerSale(to), biz_opaque_callback_data: "k1" });
    await untilHeld();
    await fetch(`${pair.sim.url}/_sim/outage`, { method: "DELETE" });
    expect(await outcome).toBe("dropped");
    const data = (await get(`${pair.sim.url}/_sim/sent?to=${to}`, {})).body.data;
    expect(data).toHaveLength(1);
    expect(data[0].idempotency_key).toBe("k1");
  });

  it("retries a webhook the app refused, with backoff, until it is accepted", async () => {
    const from = randomWaId();
    // Only this customer's deliveries fail: earlier tests' status webhooks may still be arriving.
    pair.receiver.failNext(2, 503, from);
    const res = await post(`${pair.sim.url}/_sim/inbound`, { from, text: "are you there?" }, {});
    expect(res.body.status).toBe(503);
    const delivery = await waitFor(
      () => pair.sim.state.webhooks.find((w) => w.ref === res.body.wamid && w.delivered),
      5000,
      "a delivered retry",
    );
    expect(delivery.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    const copies = pair.receiver.received.filter((r) => inboundOf(r)?.id === res.body.wamid);
    expect(copies.map((c) => c.answered)).toEqual([503, 503, 200]);
    // Byte-identical body and signature on every attempt, as Meta retries.
    expect(new Set(copies.map((c) => c.raw)).size).toBe(1);
    expect(copies.every((c) => c.signatureValid)).toBe(true);
  });

  it("gives up after the configured retries", async () => {
    const from = randomWaId();
    pair.receiver.failNext(10, 500, from);
    const res = await post(`${pair.sim.url}/_sim/inbound`, { from, text: "lost?" }, {});
    const delivery = await waitFor(() => {
      const w = pair.sim.state.webhooks.find((x) => x.ref === res.body.wamid);
      return w && !w.retrying && w.attempts.length === 4 && w;
    });
    expect(delivery.delivered).toBe(false);
    pair.receiver.failNext(0);
    const replay = await post(`${pair.sim.url}/_sim/webhooks/${delivery.seq}/replay`, {}, {});
    expect(replay.body.status).toBe(200);
  });
});

describe("simulator: control API", () => {
  it("resets to its start-up state: config, messages, outage, templates", async () => {
    const pair = await startPair();
    try {
      const to = randomWaId();
      await post(`${pair.sim.url}/_sim/config`, { pricingModel: "pmp", autoRead: false }, {});
      await post(`${pair.sim.url}/_sim/inbound`, { from: to, text: "hi" }, {});
      await post(`${pair.graph}/${PHONE}/messages`, text(to, "hello"));
      await post(`${pair.graph}/${WABA}/message_templates`, {
        name: "reset_me",
        language: "en_US",
        category: "UTILITY",
        components: [{ type: "BODY", text: "Plain" }],
      });
      await post(`${pair.sim.url}/_sim/outage`, { mode: "500" }, {});
      const bad = await post(`${pair.sim.url}/_sim/config`, { statusDelayMs: -1 }, {});
      expect(bad.status).toBe(400);

      expect((await post(`${pair.sim.url}/_sim/reset`, {}, {})).status).toBe(200);
      const state = (await get(`${pair.sim.url}/_sim/state`, {})).body;
      expect(state.config).toEqual({
        pricingModel: "cbp",
        autoRead: true,
        statusDelayMs: 20,
        approvalDelayMs: 60,
      });
      expect(state.outage).toBeNull();
      expect(state.counts).toMatchObject({ sent: 0, inbound: 0 });
      expect(state.templates.map((t: { name: string }) => t.name)).not.toContain("reset_me");
      expect(state.templates.map((t: { name: string }) => t.name)).toContain("summer_sale");
      // The customer's window is forgotten too.
      expect((await post(`${pair.graph}/${PHONE}/messages`, text(to, "again"))).body.error.code).toBe(131047);
    } finally {
      await pair.close();
    }
  });
});

describe("simulator: per-message pricing (PMP)", () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    pair = await startPair({ pricingModel: "pmp" });
  });
  afterAll(async () => {
    await pair.close();
  });

  it("reports free_entry_point after an ad, free_customer_service for replies, regular for marketing", async () => {
    const ad = randomWaId();
    await post(`${pair.sim.url}/_sim/inbound`, { from: ad, text: "from the ad", referral: true }, {});
    const r1 = await post(`${pair.graph}/${PHONE}/messages`, text(ad, "welcome"));
    const s1 = await waitFor(() =>
      statusesOf(pair.receiver, r1.body.messages[0].id).find((s) => s.status === "delivered"),
    );
    expectSameShape(s1, fixture("status-delivered-fep.json").entry[0].changes[0].value.statuses[0]);
    expect(s1.pricing).toEqual({
      billable: false,
      pricing_model: "PMP",
      category: "referral_conversion",
      type: "free_entry_point",
    });

    const plain = randomWaId();
    await post(`${pair.sim.url}/_sim/inbound`, { from: plain, text: "hi" }, {});
    const r2 = await post(`${pair.graph}/${PHONE}/messages`, text(plain, "hello"));
    const s2 = await waitFor(() =>
      statusesOf(pair.receiver, r2.body.messages[0].id).find((s) => s.status === "sent"),
    );
    expect(s2.pricing).toEqual({
      billable: false,
      pricing_model: "PMP",
      category: "service",
      type: "free_customer_service",
    });

    const r3 = await post(`${pair.graph}/${PHONE}/messages`, summerSale(plain));
    const s3 = await waitFor(() =>
      statusesOf(pair.receiver, r3.body.messages[0].id).find((s) => s.status === "sent"),
    );
    expect(s3.pricing).toEqual({
      billable: true,
      pricing_model: "PMP",
      category: "marketing",
      type: "regular",
    });
  });

  it("omits the conversation object from v24.0 on, except inside a free entry point", async () => {
    const to = randomWaId();
    const r = await post(`${pair.sim.url}/v24.0/${PHONE}/messages`, summerSale(to));
    const s = await waitFor(() =>
      statusesOf(pair.receiver, r.body.messages[0].id).find((x) => x.status === "sent"),
    );
    expect(s.conversation).toBeUndefined();
    expect(s.pricing.category).toBe("marketing");
  });
});
