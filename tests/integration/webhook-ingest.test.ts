import { and, eq, inArray, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, type inboxes, messages, templates, threads, webhookEvents } from "../../db/schema";
import { ingestWebhookPayload } from "../../lib/services/ingest-webhook";
import {
  createTestInbox,
  inboundTextBody,
  loadFixtureRaw,
  messagesValue,
  postWebhook,
  randomDigits,
  randomWamid,
  statusBody,
  unixSeconds,
  webhookBody,
} from "./helpers/webhook";

const db = getDb();
let inbox: typeof inboxes.$inferSelect;

beforeAll(async () => {
  inbox = await createTestInbox(db);
});

const HOUR = 3600_000;
const secondsAgo = (s: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - s * 1000);

async function messageByWamid(wamid: string) {
  const [m] = await db.select().from(messages).where(eq(messages.wamid, wamid));
  return m;
}
async function threadOf(waId: string, inboxId = inbox.id) {
  const [t] = await db
    .select({ thread: threads, contact: contacts })
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(and(eq(contacts.waId, waId), eq(threads.inboxId, inboxId)));
  return t;
}
const firstMessage = (raw: string) => JSON.parse(raw).entry[0].changes[0].value.messages[0];

describe("inbound message types (Meta's fixtures, re-signed)", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["inbound-text.json", { type: "text", body: "Does it come in another color?" }],
    [
      "inbound-image.json",
      { type: "image", body: "Is this the right one?", mediaId: "1003383421387256", mediaMime: "image/jpeg" },
    ],
    ["inbound-audio-voice.json", { type: "audio", body: "Voice message", mediaId: "1049298363745458" }],
    ["inbound-video.json", { type: "video", body: "Video", mediaMime: "video/mp4" }],
    ["inbound-document.json", { type: "document", body: "my receipt", mediaMime: "application/pdf" }],
    ["inbound-sticker.json", { type: "sticker", body: "Sticker", mediaMime: "image/webp" }],
    [
      "inbound-location.json",
      { type: "location", body: "Location: Main Office, 1 Hacker Way, Menlo Park, CA 94025" },
    ],
    ["inbound-contacts.json", { type: "contacts", body: "Contact: Barbara J. Johnson" }],
    ["inbound-interactive-button-reply.json", { type: "interactive", body: "Change" }],
    ["inbound-interactive-list-reply.json", { type: "interactive", body: "Express Shipping" }],
    ["inbound-button.json", { type: "button", body: "Unsubscribe from Promos" }],
    ["inbound-reaction.json", { type: "reaction", body: "Reacted 👍" }],
    ["inbound-unsupported.json", { type: "unsupported", body: "unsupported message" }],
    ["inbound-text-ctwa-referral.json", { type: "text", body: "Can I get more info about this?" }],
  ];

  it.each(cases)("%s is stored with its thread and contact", async (file, expected) => {
    const waId = `1555${randomDigits(8)}`;
    const raw = loadFixtureRaw(file, { phoneNumberId: inbox.phoneNumberId, wabaId: inbox.wabaId, waId });
    const item = firstMessage(raw);
    const res = await postWebhook(raw); // the raw text, as Meta formats it (escaped unicode included)
    expect(res.status).toBe(200);

    const m = await messageByWamid(item.id);
    expect(m).toMatchObject({ direction: "inbound", status: "received", ...expected });
    expect(m.at.getTime()).toBe(Number(item.timestamp) * 1000);
    expect(m.replyToWamid).toBe(item.context?.id ?? item.reaction?.message_id ?? null);
    const typeObject = item[item.type];
    if (item.type !== "unsupported") {
      expect(m.payload).toMatchObject(Array.isArray(typeObject) ? { [item.type]: typeObject } : typeObject);
    }
    const t = await threadOf(waId);
    expect(t.contact.profileName).toBeTruthy();
    expect(t.thread).toMatchObject({ id: m.threadId, status: "open", unreadCount: 1 });
    expect(t.thread.lastInboundAt).toEqual(m.at);
    expect(t.thread.lastMessagePreview).toBe(expected.body);
    expect(t.thread.cswExpiresAt?.getTime()).toBe(m.at.getTime() + 24 * HOUR);
  });

  it("keeps the raw event with the phone number ids", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    await postWebhook(inboundTextBody({ inbox, waId, text: "raw please", wamid }));
    const [ev] = await db
      .select()
      .from(webhookEvents)
      .where(sql`${webhookEvents.body}::text like ${`%${wamid}%`}`);
    expect(ev).toMatchObject({ phoneNumberIds: [inbox.phoneNumberId], unknownNumber: false, note: null });
  });
});

describe("threads", () => {
  it("runs the CSW from the customer's timestamp, never backwards, and counts unread", async () => {
    const waId = `1555${randomDigits(8)}`;
    const later = secondsAgo(600);
    const earlier = secondsAgo(3600);
    await postWebhook(inboundTextBody({ inbox, waId, name: "Ana", text: "second", at: later }));
    // Meta delivered the older message late.
    await postWebhook(inboundTextBody({ inbox, waId, name: "Ana Maria", text: "first", at: earlier }));
    const t = await threadOf(waId);
    expect(t.thread.lastInboundAt).toEqual(later);
    expect(t.thread.lastMessageAt).toEqual(later);
    expect(t.thread.lastMessagePreview).toBe("second");
    expect(t.thread.unreadCount).toBe(2);
    expect(t.thread.cswExpiresAt).toEqual(new Date(later.getTime() + 24 * HOUR));
    expect(t.contact.profileName).toBe("Ana Maria");
  });

  it("reopens resolved and snoozed threads", async () => {
    for (const status of ["resolved", "snoozed"] as const) {
      const waId = `1555${randomDigits(8)}`;
      await postWebhook(inboundTextBody({ inbox, waId, text: "hi", at: secondsAgo(120) }));
      const { thread } = await threadOf(waId);
      await db
        .update(threads)
        .set({
          status,
          snoozedUntil: status === "snoozed" ? new Date(Date.now() + HOUR) : null,
          unreadCount: 0,
        })
        .where(eq(threads.id, thread.id));
      await postWebhook(inboundTextBody({ inbox, waId, text: "again", at: secondsAgo(60) }));
      const after = await threadOf(waId);
      expect(after.thread).toMatchObject({
        id: thread.id,
        status: "open",
        snoozedUntil: null,
        unreadCount: 1,
      });
    }
  });

  it("stores a Click-to-WhatsApp referral on the thread and opens the FEP when the reply is delivered", async () => {
    const waId = `1555${randomDigits(8)}`;
    const raw = loadFixtureRaw("inbound-text-ctwa-referral.json", {
      phoneNumberId: inbox.phoneNumberId,
      wabaId: inbox.wabaId,
      waId,
    });
    const at = secondsAgo(2 * 3600);
    const rawNow = raw.replace('"timestamp": "1750275992"', `"timestamp": "${unixSeconds(at)}"`);
    expect((await postWebhook(rawNow)).status).toBe(200);
    const { thread } = await threadOf(waId);
    expect(thread.referral).toMatchObject({ source_type: "ad", source_id: "120226305854810726" });
    expect(thread.referralAt).toEqual(at);
    expect(thread.fepExpiresAt).toBeNull();

    // An agent's reply (stored by the outbox) is delivered within the CSW: FEP for 72h from delivery.
    const replyWamid = randomWamid();
    await db.insert(messages).values({
      threadId: thread.id,
      direction: "outbound",
      type: "text",
      body: "Sure!",
      wamid: replyWamid,
      status: "sent",
      at: new Date(at.getTime() + 60_000),
    });
    const deliveredAt = new Date(at.getTime() + 65_000);
    const res = await postWebhook(
      statusBody({ inbox, wamid: replyWamid, status: "delivered", at: deliveredAt }),
    );
    expect(res.status).toBe(200);
    const after = await threadOf(waId);
    expect(after.thread.fepExpiresAt).toEqual(new Date(deliveredAt.getTime() + 72 * HOUR));
  });

  it("opts a contact out of marketing on a stop word (default STOP/PARAR)", async () => {
    const waId = `1555${randomDigits(8)}`;
    const at = secondsAgo(30);
    await postWebhook(inboundTextBody({ inbox, waId, text: "please stop?", at: secondsAgo(40) }));
    expect((await threadOf(waId)).contact.optedOutMarketing).toBe(false);
    await postWebhook(inboundTextBody({ inbox, waId, text: "  parar ", at }));
    const { contact } = await threadOf(waId);
    expect(contact).toMatchObject({ optedOutMarketing: true, optedOutAt: at });
  });
});

describe("batches", () => {
  it("stores 2 entries × 2 changes × 3 messages, with statuses, in one go", async () => {
    const inbox2 = await createTestInbox(db, "Second number");
    const wamids: string[] = [];
    const waIds: string[] = [];
    const value = (box: typeof inbox, k: number) => {
      const waId = `1555${randomDigits(8)}`;
      waIds.push(waId);
      const msgs = [0, 1, 2].map((i) => {
        const id = randomWamid();
        wamids.push(id);
        return {
          from: waId,
          id,
          timestamp: unixSeconds(secondsAgo(300 - 10 * i - k)),
          type: "text",
          text: { body: `batch ${k}.${i}` },
        };
      });
      // One change also carries a status, for a message this workspace has not stored (yet).
      const statuses =
        k === 3
          ? [{ id: randomWamid(), status: "sent", timestamp: unixSeconds(secondsAgo(5)), recipient_id: waId }]
          : undefined;
      return messagesValue({
        phoneNumberId: box.phoneNumberId,
        contacts: [{ waId, name: `B${k}` }],
        messages: msgs,
        statuses,
      });
    };
    const body = webhookBody([
      { wabaId: inbox.wabaId, values: [value(inbox, 0), value(inbox, 1)] },
      { wabaId: inbox2.wabaId, values: [value(inbox2, 2), value(inbox2, 3)] },
    ]);
    const summary = await ingestWebhookPayload(db, body);
    expect(summary).toMatchObject({
      messagesStored: 12,
      messagesDuplicate: 0,
      statusesStored: 1,
      statusesPending: 1,
    });
    expect(summary.threadIds).toHaveLength(4);

    const rows = await db.select().from(messages).where(inArray(messages.wamid, wamids));
    expect(rows).toHaveLength(12);
    for (const [k, waId] of waIds.entries()) {
      const t = await threadOf(waId, k < 2 ? inbox.id : inbox2.id);
      expect(t.thread.unreadCount).toBe(3);
      expect(t.thread.lastMessagePreview).toBe(`batch ${k}.2`); // the newest
    }

    // The same body again through HTTP: nothing new.
    const res = await postWebhook(body);
    expect(await res.json()).toMatchObject({ received: true, messages: 0, duplicates: 12 });
  });
});

describe("numbers and errors", () => {
  it("keeps a body for a phone_number_id no inbox has, flagged, and stores nothing else", async () => {
    const ghost = { phoneNumberId: randomDigits(15), wabaId: randomDigits(15) };
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const res = await postWebhook(inboundTextBody({ inbox: ghost, waId, text: "anyone?", wamid }));
    expect(res.status).toBe(200);
    const [ev] = await db
      .select()
      .from(webhookEvents)
      .where(sql`${ghost.phoneNumberId} = any(${webhookEvents.phoneNumberIds})`);
    expect(ev).toMatchObject({ unknownNumber: true });
    expect(ev.note).toContain(ghost.phoneNumberId);
    expect(await messageByWamid(wamid)).toBeUndefined();
    expect(await db.select().from(contacts).where(eq(contacts.waId, waId))).toEqual([]);
  });

  it("acknowledges value-level errors and keeps them in the raw event's note", async () => {
    const raw = loadFixtureRaw("value-errors-130429.json", {
      phoneNumberId: inbox.phoneNumberId,
      wabaId: inbox.wabaId,
    });
    expect((await postWebhook(raw)).status).toBe(200);
    const [ev] = await db
      .select()
      .from(webhookEvents)
      .where(
        and(
          sql`${inbox.phoneNumberId} = any(${webhookEvents.phoneNumberIds})`,
          sql`${webhookEvents.note} like '%130429%'`,
        ),
      );
    expect(ev).toBeDefined();
  });

  it("stores an item with a malformed type object as unsupported, next to valid ones", async () => {
    const waId = `1555${randomDigits(8)}`;
    const bad = randomWamid();
    const good = randomWamid();
    const ts = unixSeconds(secondsAgo(50));
    const body = webhookBody([
      {
        wabaId: inbox.wabaId,
        values: [
          messagesValue({
            phoneNumberId: inbox.phoneNumberId,
            contacts: [{ waId }],
            messages: [
              { from: waId, id: bad, timestamp: ts, type: "image", image: { caption: "no id" } },
              { from: waId, id: good, timestamp: ts, type: "text", text: { body: "fine" } },
              { from: waId, timestamp: ts, type: "text", text: { body: "no id: skipped" } },
            ],
          }),
        ],
      },
    ]);
    const summary = await ingestWebhookPayload(db, body);
    expect(summary.messagesStored).toBe(2);
    expect(summary.notes.join()).toMatch(/message 2 skipped/);
    expect(await messageByWamid(bad)).toMatchObject({
      type: "unsupported",
      body: "unsupported message",
      mediaId: null,
    });
    expect((await messageByWamid(bad)).payload).toMatchObject({
      originalType: "image",
      raw: { image: { caption: "no id" } },
    });
    expect(await messageByWamid(good)).toMatchObject({ type: "text", body: "fine" });
  });

  it("stores text with U+0000 instead of failing (PostgreSQL cannot hold it)", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const res = await postWebhook(inboundTextBody({ inbox, waId, text: "nul\u0000byte", wamid }));
    expect(res.status).toBe(200);
    expect((await messageByWamid(wamid)).body).toBe("nul\uFFFDbyte");
  });
});

describe("template status updates", () => {
  it("updates the template matched by WABA + name + language, and by Meta id", async () => {
    const [approved, rejected] = await db
      .insert(templates)
      .values([
        {
          inboxId: inbox.id,
          wabaId: inbox.wabaId,
          name: "order_confirmation",
          language: "en_US",
          category: "UTILITY",
          components: [],
        },
        {
          inboxId: inbox.id,
          wabaId: inbox.wabaId,
          name: "summer_promo",
          language: "en_US",
          category: "MARKETING",
          components: [],
          metaId: "1689556908129833",
        },
      ])
      .returning();
    // A template with the same name in another account must not change.
    const other = await createTestInbox(db, "Other account");
    const [foreign] = await db
      .insert(templates)
      .values({
        wabaId: other.wabaId,
        name: "order_confirmation",
        language: "en_US",
        category: "UTILITY",
        components: [],
      })
      .returning();

    const ids = { phoneNumberId: inbox.phoneNumberId, wabaId: inbox.wabaId };
    expect((await postWebhook(loadFixtureRaw("template-status-approved.json", ids))).status).toBe(200);
    expect((await postWebhook(loadFixtureRaw("template-status-rejected.json", ids))).status).toBe(200);

    const read = async (id: string) => (await db.select().from(templates).where(eq(templates.id, id)))[0];
    expect(await read(approved.id)).toMatchObject({
      status: "APPROVED",
      rejectedReason: null,
      metaId: "1689556908129832",
    });
    expect(await read(rejected.id)).toMatchObject({ status: "REJECTED", rejectedReason: "INVALID_FORMAT" });
    expect(await read(foreign.id)).toMatchObject({ status: "PENDING", metaId: null });
  });

  it("pauses with Meta's explanation and ignores quality warnings", async () => {
    const [tpl] = await db
      .insert(templates)
      .values({
        wabaId: inbox.wabaId,
        name: "weekly_deals",
        language: "pt_BR",
        category: "MARKETING",
        components: [],
        status: "APPROVED",
      })
      .returning();
    const update = (event: string, extra: object = {}) => ({
      object: "whatsapp_business_account",
      entry: [
        {
          id: inbox.wabaId,
          time: 1751247548,
          changes: [
            {
              field: "message_template_status_update",
              value: {
                event,
                message_template_id: Number(randomDigits(15)),
                message_template_name: "weekly_deals",
                message_template_language: "pt_BR",
                reason: null,
                ...extra,
              },
            },
          ],
        },
      ],
    });
    await ingestWebhookPayload(db, update("FLAGGED"));
    expect((await db.select().from(templates).where(eq(templates.id, tpl.id)))[0].status).toBe("APPROVED");
    const s = await ingestWebhookPayload(
      db,
      update("PAUSED", {
        other_info: { title: "FIRST_PAUSE", description: "Paused for 3 hours due to low quality." },
      }),
    );
    expect(s.templatesUpdated).toBe(1);
    expect((await db.select().from(templates).where(eq(templates.id, tpl.id)))[0]).toMatchObject({
      status: "PAUSED",
      rejectedReason: "Paused for 3 hours due to low quality.",
    });
  });
});
