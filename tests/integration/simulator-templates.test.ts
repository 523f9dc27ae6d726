/**
 * The simulator's message-template API over real HTTP: create → PENDING → APPROVED/REJECTED with
 * signed `message_template_status_update` webhooks, Meta's validation and duplicate errors, edit
 * rules, deletion, listing with filters and paging, and status changes injected by tests.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, randomWaId, startPair, waitFor } from "./simulator-receiver";

const PHONE = "100000000000001";
const WABA = "200000000000001";
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/meta", name), "utf8"));

const uniq = () => `t_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;

const definition = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  language: "en_US",
  category: "UTILITY",
  components: [
    { type: "HEADER", format: "TEXT", text: "Order update" },
    { type: "BODY", text: "Hi {{1}}, order {{2}} is ready.", example: { body_text: [["Ana", "#7"]] } },
    { type: "FOOTER", text: "Thanks!" },
    { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Got it" }] },
  ],
  ...extra,
});

describe("simulator: message templates", () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  let api: string;
  beforeAll(async () => {
    // Reviews run when a test asks (/_sim/templates/review), so nothing races the clock;
    // the automatic timer has its own test below.
    pair = await startPair({ approvalDelayMs: 600_000 });
    api = `${pair.graph}/${WABA}/message_templates`;
  });
  afterAll(async () => {
    await pair.close();
  });

  /** message_template_status_update values received for a template id. */
  const updatesFor = (id: string) =>
    pair.receiver.received
      .filter((r) => r.json.entry[0].changes[0].field === "message_template_status_update")
      .map((r) => ({ r, value: r.json.entry[0].changes[0].value }))
      .filter((x) => String(x.value.message_template_id) === id);

  const review = (id: string) => post(`${pair.sim.url}/_sim/templates/review`, { id }, {});

  it("creates a template PENDING; review approves it with a signed webhook in Meta's shape", async () => {
    const name = uniq();
    const created = await post(api, definition(name));
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      status: "PENDING",
      category: "UTILITY",
    });
    const id = created.body.id;
    const listed = await get(`${api}?name=${name}`);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({
      id,
      name,
      language: "en_US",
      status: "PENDING",
      category: "UTILITY",
    });
    expect((await review(id)).body.reviewed).toEqual([{ id, status: "APPROVED" }]);

    const [{ r, value }] = await waitFor(() => {
      const u = updatesFor(id);
      return u.length > 0 && u;
    });
    expect(r.signatureValid).toBe(true);
    expect(Object.keys(r.json).sort()).toEqual(Object.keys(fixture("template-status-approved.json")).sort());
    expect(Object.keys(value).sort()).toEqual(
      Object.keys(fixture("template-status-approved.json").entry[0].changes[0].value).sort(),
    );
    expect(r.json.entry[0].id).toBe(WABA);
    expect(typeof r.json.entry[0].time).toBe("number");
    expect(value).toEqual({
      event: "APPROVED",
      message_template_id: Number(id),
      message_template_name: name,
      message_template_language: "en_US",
      reason: "NONE",
      message_template_category: "UTILITY",
    });
    const after = await get(`${api}?name=${name}`);
    expect(after.body.data[0]).toMatchObject({ status: "APPROVED", quality_score: { score: "GREEN" } });

    // Now sendable, with its parameters checked against {{1}} {{2}}.
    const to = randomWaId();
    const send = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to,
      type: "template",
      template: {
        name,
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ana" },
              { type: "text", text: "#7" },
            ],
          },
        ],
      },
    });
    expect(send.status).toBe(200);
  });

  it("rejects a template whose name says so, with reason INVALID_FORMAT", async () => {
    const name = `${uniq()}_reject`;
    const { body } = await post(api, definition(name));
    await review(body.id);
    const [{ value }] = await waitFor(() => {
      const u = updatesFor(body.id);
      return u.length > 0 && u;
    });
    expectSameShapeAsRejected(value);
    expect(value).toMatchObject({ event: "REJECTED", reason: "INVALID_FORMAT" });
    expect((await get(`${pair.graph}/${body.id}`)).body).toMatchObject({
      status: "REJECTED",
      rejected_reason: "INVALID_FORMAT",
    });
  });

  function expectSameShapeAsRejected(value: Record<string, unknown>) {
    const ref = fixture("template-status-rejected.json").entry[0].changes[0].value;
    expect(Object.keys(value).sort()).toEqual(Object.keys(ref).sort());
  }

  it("refuses a duplicate name + language with Meta's 2388024 error, but allows another language", async () => {
    const name = uniq();
    expect((await post(api, definition(name))).status).toBe(200);
    const dup = await post(api, definition(name));
    expect(dup.status).toBe(400);
    expect(dup.body.error).toMatchObject({
      message: "(#100) Invalid parameter",
      type: "OAuthException",
      code: 100,
      error_subcode: 2388024,
      is_transient: false,
      error_user_title: "Content in This Language Already Exists",
      fbtrace_id: expect.any(String),
    });
    expect(dup.body.error.error_user_msg).toContain("English (US)");
    expect((await post(api, definition(name, { language: "pt_BR" }))).status).toBe(200);
  });

  it("validates definitions: name, category, language, body, sequential variables, examples", async () => {
    const bad = async (def: Record<string, unknown>) => {
      const r = await post(api, def);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe(100);
      return r.body.error;
    };
    expect((await bad(definition("Bad Name"))).error_user_msg).toContain("lowercase");
    await bad(definition(uniq(), { category: "PROMO" }));
    await bad(definition(uniq(), { language: "english" }));
    await bad(definition(uniq(), { components: [{ type: "FOOTER", text: "no body" }] }));
    await bad(
      definition(uniq(), {
        components: [{ type: "BODY", text: "Hi {{1}} and {{3}}", example: { body_text: [["a", "b"]] } }],
      }),
    );
    expect(
      (await bad(definition(uniq(), { components: [{ type: "BODY", text: "Hi {{1}}" }] }))).error_user_title,
    ).toBe("Missing sample values");
  });

  it("pauses by injection (webhook + 132015 on send), and follows Meta's edit rules", async () => {
    const name = uniq();
    const { body } = await post(api, definition(name));
    const id = body.id;
    // PENDING templates cannot be edited.
    const early = await post(`${pair.graph}/${id}`, { components: definition(name).components });
    expect(early.status).toBe(400);
    expect(early.body.error.error_user_msg).toContain("PENDING");
    await review(id);
    await waitFor(() => updatesFor(id).some((u) => u.value.event === "APPROVED"));

    const paused = await post(`${pair.sim.url}/_sim/templates/${id}/status`, { status: "PAUSED" }, {});
    expect(paused.status).toBe(200);
    const pausedUpdate = await waitFor(() => updatesFor(id).find((u) => u.value.event === "PAUSED"));
    expect(pausedUpdate.value.other_info).toMatchObject({ title: "FIRST_PAUSE" });
    const send = await post(`${pair.graph}/${PHONE}/messages`, {
      messaging_product: "whatsapp",
      to: randomWaId(),
      type: "template",
      template: { name, language: { code: "en_US" }, components: [] },
    });
    expect(send.body.error.code).toBe(132015);

    await post(`${pair.sim.url}/_sim/templates/${id}/status`, { status: "APPROVED" }, {});
    const recat = await post(`${pair.graph}/${id}`, { category: "MARKETING" });
    expect(recat.status).toBe(400);
    expect(recat.body.error.error_user_title).toBe("Category can't be changed");

    const edited = await post(`${pair.graph}/${id}`, {
      components: [{ type: "BODY", text: "Hello {{1}}!", example: { body_text: [["Ana"]] } }],
    });
    expect(edited).toMatchObject({ status: 200, body: { success: true } });
    expect((await get(`${pair.graph}/${id}`)).body.status).toBe("PENDING");
    await review(id);
    // Approved three times: by review, by injection, and by review after the edit.
    await waitFor(() => updatesFor(id).filter((u) => u.value.event === "APPROVED").length >= 3);
    expect((await get(`${pair.graph}/${id}`)).body.components).toEqual([
      { type: "BODY", text: "Hello {{1}}!", example: { body_text: [["Ana"]] } },
    ]);
    // An approved template may be edited once per 24 hours.
    const again = await post(`${pair.graph}/${id}`, {
      components: [{ type: "BODY", text: "Hey {{1}}!", example: { body_text: [["Ana"]] } }],
    });
    expect(again.body.error.error_user_title).toBe("Edit limit reached");
  });

  it("deletes by name (all languages) or by hsm_id, and blocks reusing the name", async () => {
    const name = uniq();
    const en = (await post(api, definition(name))).body.id;
    const pt = (await post(api, definition(name, { language: "pt_BR" }))).body.id;
    const del1 = await fetch(`${api}?name=${name}&hsm_id=${pt}`, {
      method: "DELETE",
      headers: { authorization: "Bearer t" },
    });
    expect(await del1.json()).toEqual({ success: true });
    expect((await get(`${api}?name=${name}`)).body.data.map((t: { id: string }) => t.id)).toEqual([en]);
    await fetch(`${api}?name=${name}`, { method: "DELETE", headers: { authorization: "Bearer t" } });
    expect((await get(`${api}?name=${name}`)).body.data).toEqual([]);
    const gone = await fetch(`${api}?name=${name}`, {
      method: "DELETE",
      headers: { authorization: "Bearer t" },
    });
    expect(gone.status).toBe(400);
    const reuse = await post(api, definition(name));
    expect(reuse.body.error.error_subcode).toBe(2388023);
  });

  it("reviews automatically after approvalDelayMs", async () => {
    const quick = await startPair({ approvalDelayMs: 50 });
    try {
      const name = uniq();
      const { body } = await post(`${quick.graph}/${WABA}/message_templates`, definition(name));
      expect(body.status).toBe("PENDING");
      const update = await waitFor(() =>
        quick.receiver.received.find(
          (r) => r.json.entry[0].changes[0].value.message_template_id === Number(body.id),
        ),
      );
      expect(update.signatureValid).toBe(true);
      expect(update.json.entry[0].changes[0].value.event).toBe("APPROVED");
      expect((await get(`${quick.graph}/${body.id}`)).body.status).toBe("APPROVED");
    } finally {
      await quick.close();
    }
  });

  it("lists with filters and cursor paging", async () => {
    const list = await get(`${api}?limit=2`);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.paging.next).toContain("after=");
    const next = await get(list.body.paging.next);
    expect(next.body.data[0].id).not.toBe(list.body.data[0].id);
    const approved = await get(`${api}?status=APPROVED&category=MARKETING&limit=100`);
    expect(approved.body.data.map((t: { name: string }) => t.name)).toContain("summer_sale");
    expect(
      approved.body.data.every(
        (t: { status: string; category: string }) => t.status === "APPROVED" && t.category === "MARKETING",
      ),
    ).toBe(true);
    expect((await get(`${api}?limit=0`)).status).toBe(400);
  });
});
