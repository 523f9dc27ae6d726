/**
 * Campaign audiences and the lifecycle around them: CSV uploads with per-row variables and
 * invalid numbers, labels, "wrote in the last N days", opt-outs (at creation and at send time),
 * who may manage campaigns, scheduling in the workspace timezone, pause / resume / cancel.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { campaignRecipients, campaigns, contacts, messages, threads } from "../../db/schema";
import { utcToZonedInput } from "../../lib/campaigns/schedule";
import { AppError } from "../../lib/errors";
import {
  cancelCampaign,
  createCampaign,
  getCampaignDetail,
  launchCampaign,
  listCampaignRecipients,
  listCampaigns,
  listContactLabels,
  newSenderState,
  pauseCampaign,
  previewNewCampaign,
  resumeCampaign,
  runCampaignRound,
  workspaceTimezone,
} from "../../lib/services/campaigns";
import { startOutboxWorker } from "../../lib/services/outbox";
import { makeContacts, makeUser, randomLabel, waitForProgress } from "./campaigns-helpers";
import {
  createTestInbox,
  type Harness,
  randomWaId,
  seedTemplate,
  simPost,
  simSent,
  startHarness,
  type TestInbox,
  waitFor,
} from "./send-harness";

const db = getDb();
let h: Harness;
let inbox: TestInbox;
let marketingId: string;
let utilityId: string;
let stopOutbox: (() => Promise<void>) | undefined;

beforeAll(async () => {
  h = await startHarness();
  await simPost(h, "/_sim/config", { autoRead: false, statusDelayMs: 20 });
  inbox = await createTestInbox(db, h);
  marketingId = (
    await seedTemplate(db, h, inbox, {
      name: `promo_${Date.now()}`,
      category: "MARKETING",
      components: [
        {
          type: "BODY",
          text: "Hi {{1}}, order {{2}} ships {{3}}.",
          example: { body_text: [["A", "B", "C"]] },
        },
      ],
    })
  ).id;
  utilityId = (
    await seedTemplate(db, h, inbox, {
      name: `notice_${Date.now()}`,
      category: "UTILITY",
      components: [{ type: "BODY", text: "Hello {{1}}.", example: { body_text: [["A"]] } }],
    })
  ).id;
  stopOutbox = startOutboxWorker({ db, inboxIds: [inbox.id], intervalMs: 100 });
});

afterAll(async () => {
  await stopOutbox?.();
  await h?.close();
});

const nameVar = { source: "field", field: "profile_name", fallback: "there" } as const;

async function expectAppError(p: Promise<unknown>, code: string, message?: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  if (message) expect((err as AppError).message).toMatch(message);
}

describe("campaign audiences", () => {
  it("a CSV with per-row variables: invalid numbers listed and excluded, the rest previewed and sent", async () => {
    const supervisor = await makeUser(db, "supervisor");
    const [a, b] = [randomWaId(), randomWaId()];
    const csv = [
      "Nome;Celular;Pedido",
      `Ana;+${a.slice(0, 2)} (${a.slice(2, 4)}) ${a.slice(4, 9)}-${a.slice(9)};#1042`,
      `Bruno;${b};#1043`,
      "Carla;011 5555;#1044",
      "Dora;call me;#1045",
      `Ana again;${a};#1046`,
    ].join("\n");
    const input = {
      name: "CSV promo",
      inboxId: inbox.id,
      templateId: marketingId,
      audience: { kind: "csv" as const, csv, filename: "list.csv" },
      variables: {
        body: {
          "1": { source: "column" as const, column: "Nome" },
          "2": { source: "column" as const, column: "Pedido" },
          "3": { source: "text" as const, value: "tomorrow" },
        },
      },
    };
    const preview = await previewNewCampaign(db, supervisor, input);
    expect(preview).toMatchObject({
      audience: 4,
      sendable: 2,
      opens: { count: 2 },
      excluded: { invalid_number: 2, opted_out: 0, duplicate: 0, missing_variable: 0 },
      audienceSummary: { kind: "csv", filename: "list.csv", rows: 5, duplicates: 1 },
    });
    expect(preview.excludedList.map((e) => [e.waId, e.reason])).toEqual([
      ["011 5555", "invalid_number"],
      ["call me", "invalid_number"],
    ]);
    expect(preview.excludedList[0].detail).toMatch(/^Line 4: /);
    // Preview writes nothing: the CSV numbers are not contacts yet.
    expect(await db.select().from(contacts).where(eq(contacts.waId, a))).toHaveLength(0);

    const { campaignId, preview: stored } = await createCampaign(db, supervisor, input);
    expect(stored.totalCostMicros).toBe(preview.totalCostMicros);
    const [contactA] = await db.select().from(contacts).where(eq(contacts.waId, a));
    expect(contactA).toBeDefined();

    await launchCampaign(db, supervisor, campaignId, { when: "now" });
    const state = newSenderState({ inboxIds: [inbox.id] });
    await waitFor(
      async () => {
        await runCampaignRound(db, state);
        const p = await waitForProgress(db, campaignId, () => true, "progress");
        return p.delivered === 2 && p.status === "completed" ? p : undefined;
      },
      "the CSV campaign to be delivered",
      60_000,
    );
    const toA = await simSent(h, { to: a });
    expect(toA).toHaveLength(1);
    const [row] = await db
      .select({ body: messages.body })
      .from(messages)
      .innerJoin(campaignRecipients, eq(campaignRecipients.messageId, messages.id))
      .where(and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.waId, a)));
    expect(row.body).toBe("Hi Ana, order #1042 ships tomorrow.");
    // New campaign threads stay out of the agents' open list until the customer replies.
    const [t] = await db
      .select({ status: threads.status })
      .from(threads)
      .where(and(eq(threads.inboxId, inbox.id), eq(threads.contactId, contactA.id)));
    expect(t.status).toBe("resolved");
    const excluded = await listCampaignRecipients(db, supervisor, campaignId, "excluded");
    expect(excluded.map((r) => r.waId).sort()).toEqual(["011 5555", "call me"]);
  }, 120_000);

  it("opted-out contacts are excluded from marketing (listed), kept for utility, and skipped if they opt out after launch", async () => {
    const supervisor = await makeUser(db, "supervisor");
    const label = randomLabel("optout");
    const people = await makeContacts(db, 4, { labels: [label] });
    await db
      .update(contacts)
      .set({ optedOutMarketing: true, optedOutAt: new Date() })
      .where(eq(contacts.id, people[0].id));

    const base = { inboxId: inbox.id, audience: { kind: "label" as const, label } };
    const utility = await previewNewCampaign(db, supervisor, {
      ...base,
      name: "u",
      templateId: utilityId,
      variables: { body: { "1": nameVar } },
    });
    expect(utility).toMatchObject({ audience: 4, sendable: 4, excluded: { opted_out: 0 } });

    const { campaignId, preview } = await createCampaign(db, supervisor, {
      ...base,
      name: "m",
      templateId: marketingId,
      variables: {
        body: {
          "1": nameVar,
          "2": { source: "field", field: "wa_id" },
          "3": { source: "text", value: "soon" },
        },
      },
    });
    expect(preview).toMatchObject({ audience: 4, sendable: 3, excluded: { opted_out: 1 } });
    expect(preview.excludedList).toEqual([
      { waId: people[0].waId, reason: "opted_out", detail: "Opted out of marketing messages." },
    ]);

    await launchCampaign(db, supervisor, campaignId, { when: "now" });
    // Replies STOP after launch, before the sender reaches them.
    await db
      .update(contacts)
      .set({ optedOutMarketing: true, optedOutAt: new Date() })
      .where(eq(contacts.id, people[1].id));
    const state = newSenderState({ inboxIds: [inbox.id] });
    const done = await waitFor(
      async () => {
        await runCampaignRound(db, state);
        const p = await waitForProgress(db, campaignId, () => true, "progress");
        return p.status === "completed" && p.delivered === 2 ? p : undefined;
      },
      "the campaign to finish",
      60_000,
    );
    expect(done).toMatchObject({ audience: 4, excluded: 2, sent: 2, failed: 0 });
    expect(await simSent(h, { to: people[0].waId })).toHaveLength(0);
    expect(await simSent(h, { to: people[1].waId })).toHaveLength(0);
    expect(await simSent(h, { to: people[2].waId })).toHaveLength(1);
    const skipped = await listCampaignRecipients(db, supervisor, campaignId, "excluded");
    expect(skipped.map((r) => r.waId).sort()).toEqual([people[0].waId, people[1].waId].sort());
  }, 120_000);

  it('"wrote to us in the last N days" takes contacts whose last message to this number is recent enough', async () => {
    const supervisor = await makeUser(db, "supervisor");
    const [recent, old, never] = await makeContacts(db, 3);
    const day = 86_400_000;
    await db.insert(threads).values([
      { inboxId: inbox.id, contactId: recent.id, lastInboundAt: new Date(Date.now() - 5 * day) },
      { inboxId: inbox.id, contactId: old.id, lastInboundAt: new Date(Date.now() - 40 * day) },
      { inboxId: inbox.id, contactId: never.id, lastInboundAt: null },
    ]);
    const p = await previewNewCampaign(db, supervisor, {
      name: "recent",
      inboxId: inbox.id,
      templateId: utilityId,
      audience: { kind: "recent", days: 30 },
      variables: { body: { "1": nameVar } },
    });
    expect(p.audience).toBe(1);
    expect(p.sendable).toBe(1);
  });

  it("refuses agents, unmapped variables, unknown columns, empty audiences and unapproved templates", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const supervisor = await makeUser(db, "supervisor");
    const label = randomLabel("refusals");
    await makeContacts(db, 1, { labels: [label] });
    const ok = {
      name: "x",
      inboxId: inbox.id,
      templateId: utilityId,
      audience: { kind: "label" as const, label },
      variables: { body: { "1": nameVar } },
    };
    await expectAppError(previewNewCampaign(db, agent, ok), "forbidden");
    await expectAppError(listCampaigns(db, agent), "forbidden");
    await expectAppError(
      previewNewCampaign(db, supervisor, { ...ok, variables: { body: {} } }),
      "template_params",
      /Choose a value for body \{\{1\}\}/,
    );
    await expectAppError(
      previewNewCampaign(db, supervisor, {
        ...ok,
        audience: { kind: "csv", csv: `phone,name\n${randomWaId()},Ana` },
        variables: { body: { "1": { source: "column", column: "nome" } } },
      }),
      "template_params",
      /column "nome"/,
    );
    await expectAppError(
      createCampaign(db, supervisor, { ...ok, audience: { kind: "label", label: randomLabel("nobody") } }),
      "invalid_input",
      /empty/,
    );
    await expectAppError(
      previewNewCampaign(db, supervisor, { ...ok, name: "" }),
      "invalid_input",
      /Name the campaign/,
    );
    const pending = await seedTemplate(db, h, inbox, {
      name: `pending_${Date.now()}`,
      status: "PENDING",
      components: [{ type: "BODY", text: "Hi" }],
    });
    await expectAppError(
      previewNewCampaign(db, supervisor, { ...ok, templateId: pending.id }),
      "template_not_approved",
    );
    expect((await listContactLabels(db)).find((l) => l.label === label)).toEqual({ label, contacts: 1 });
  });
});

describe("campaign lifecycle", () => {
  it("schedules in the workspace timezone, starts when due with a fresh preview, pauses, resumes and cancels", async () => {
    const supervisor = await makeUser(db, "supervisor");
    const label = randomLabel("lifecycle");
    await makeContacts(db, 2, { labels: [label] });
    const { campaignId } = await createCampaign(db, supervisor, {
      name: "Later",
      inboxId: inbox.id,
      templateId: utilityId,
      audience: { kind: "label", label },
      variables: { body: { "1": nameVar } },
    });
    const tz = await workspaceTimezone(db);
    const inTwoHours = new Date(Date.now() + 2 * 3600_000);
    await expectAppError(
      launchCampaign(db, supervisor, campaignId, { when: "later", at: utcToZonedInput(new Date(), tz) }),
      "invalid_input",
      /at least a minute from now/,
    );
    const scheduled = await launchCampaign(db, supervisor, campaignId, {
      when: "later",
      at: utcToZonedInput(inTwoHours, tz),
    });
    expect(scheduled.status).toBe("scheduled");
    expect(Math.abs(scheduled.scheduledAt!.getTime() - inTwoHours.getTime())).toBeLessThan(60_000);

    // Paused before its time and resumed: still scheduled, and a round leaves it alone.
    const state = newSenderState({ inboxIds: [inbox.id] });
    await pauseCampaign(db, supervisor, campaignId);
    await expectAppError(launchCampaign(db, supervisor, campaignId, { when: "now" }), "conflict");
    expect((await resumeCampaign(db, supervisor, campaignId)).status).toBe("scheduled");
    await runCampaignRound(db, state);
    let detail = await getCampaignDetail(db, supervisor, campaignId);
    expect(detail.status).toBe("scheduled");
    expect(detail.progress.queued).toBe(2);

    await expectAppError(resumeCampaign(db, supervisor, campaignId), "conflict");
    await cancelCampaign(db, supervisor, campaignId);
    detail = await getCampaignDetail(db, supervisor, campaignId);
    expect(detail.status).toBe("cancelled");
    expect(detail.finishedAt).not.toBeNull();
  }, 60_000);

  it("a scheduled campaign whose time has come starts with a fresh preview", async () => {
    const supervisor = await makeUser(db, "supervisor");
    const label = randomLabel("due");
    await makeContacts(db, 2, { labels: [label] });
    const { campaignId } = await createCampaign(db, supervisor, {
      name: "Due",
      inboxId: inbox.id,
      templateId: utilityId,
      audience: { kind: "label", label },
      variables: { body: { "1": nameVar } },
    });
    const tz = await workspaceTimezone(db);
    await launchCampaign(db, supervisor, campaignId, {
      when: "later",
      at: utcToZonedInput(new Date(Date.now() + 3600_000), tz),
    });
    const state = newSenderState({ inboxIds: [inbox.id] });
    await runCampaignRound(db, state);
    expect((await getCampaignDetail(db, supervisor, campaignId)).status).toBe("scheduled");
    await db
      .update(campaigns)
      .set({ scheduledAt: new Date(Date.now() - 1000) })
      .where(eq(campaigns.id, campaignId));
    await runCampaignRound(db, state);
    const detail = await getCampaignDetail(db, supervisor, campaignId);
    expect(detail.status).toBe("running");
    expect(detail.startedAt).not.toBeNull();
    expect(detail.plan.startPreview).toMatchObject({ sendable: 2, opens: { count: 2 } });
    expect(detail.plan.preview).toMatchObject({ sendable: 2 });

    // Paused: rounds hand nobody over. Resumed: they do.
    await pauseCampaign(db, supervisor, campaignId);
    for (let i = 0; i < 5; i++) {
      await runCampaignRound(db, state);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await getCampaignDetail(db, supervisor, campaignId)).progress.queued).toBe(2);
    expect((await resumeCampaign(db, supervisor, campaignId)).status).toBe("running");
    await waitFor(
      async () => {
        await runCampaignRound(db, state);
        return (await getCampaignDetail(db, supervisor, campaignId)).progress.queued === 0;
      },
      "the resumed campaign to hand everyone over",
      30_000,
    );
  }, 60_000);
});
