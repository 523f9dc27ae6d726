/**
 * A simulator started next to an existing database learns what Meta would already know: the
 * app's numbers, templates and each customer's earlier messages. So a customer who wrote an hour
 * ago (before the restart) can still be answered with free text, one who wrote 30 hours ago
 * cannot, and an ad click from before the restart still yields a free entry point.
 */
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, inboxes, messages, templates, threads } from "../../db/schema";
import { dbBootstrap } from "../../simulator/db-bootstrap";
import { get, post, startPair, statusesOf, waitFor } from "./simulator-receiver";

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join("");
const HOUR = 3600_000;

describe("simulator: bootstrap from the app's database", () => {
  const phoneNumberId = `1${digits(14)}`;
  const wabaId = `2${digits(14)}`;
  const open = `5511${digits(9)}`;
  const closed = `5521${digits(9)}`;
  const fromAd = `5531${digits(9)}`;
  const templateName = `boot_${digits(8)}`;
  const templateMetaId = `7${digits(14)}`;
  let pair: Awaited<ReturnType<typeof startPair>>;

  beforeAll(async () => {
    const db = getDb();
    const now = Date.now();
    const [inbox] = await db
      .insert(inboxes)
      .values({ name: "Boot test", phoneNumberId, wabaId, displayNumber: `1555${digits(7)}` })
      .returning();
    const thread = async (waId: string, rows: Array<Partial<typeof messages.$inferInsert>>) => {
      const [c] = await db.insert(contacts).values({ waId, profileName: "Boot" }).returning();
      const [t] = await db.insert(threads).values({ inboxId: inbox.id, contactId: c.id }).returning();
      for (const r of rows) {
        await db.insert(messages).values({
          threadId: t.id,
          direction: "inbound",
          type: "text",
          status: "received",
          wamid: `wamid.boot${digits(12)}`,
          ...r,
        });
      }
    };
    await thread(open, [
      { at: new Date(now - HOUR), body: "Where is my order?" },
      {
        direction: "outbound",
        status: "read",
        at: new Date(now - HOUR + 60_000),
        body: "Checking!",
        deliveredAt: new Date(now - HOUR + 61_000),
        readAt: new Date(now - HOUR + 62_000),
      },
    ]);
    await thread(closed, [{ at: new Date(now - 30 * HOUR), body: "Hello?" }]);
    await thread(fromAd, [
      {
        at: new Date(now - 2 * HOUR),
        body: "Saw your ad",
        payload: { body: "Saw your ad", referral: { source_type: "ad" } },
      },
    ]);
    await db.insert(templates).values({
      wabaId,
      metaId: templateMetaId,
      name: templateName,
      language: "en_US",
      category: "UTILITY",
      status: "APPROVED",
      components: [{ type: "BODY", text: "Your code is ready." }],
    });
    pair = await startPair({ bootstrap: dbBootstrap(db) });
  });

  afterAll(async () => {
    await pair?.close();
  });

  const text = (to: string) => ({
    messaging_product: "whatsapp",
    to,
    type: "text",
    text: { body: "Back again" },
  });

  it("knows the app's numbers and templates", async () => {
    const number = pair.sim.state.numbers.get(phoneNumberId);
    expect(number).toMatchObject({ wabaId, learned: false });
    const list = await get(`${pair.graph}/${wabaId}/message_templates?name=${templateName}`);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: templateMetaId, status: "APPROVED", category: "UTILITY" }),
    ]);
  });

  it("answers a customer who wrote an hour ago, refuses one who wrote 30 hours ago", async () => {
    const ok = await post(`${pair.graph}/${phoneNumberId}/messages`, text(open));
    expect(ok.status).toBe(200);
    const refused = await post(`${pair.graph}/${phoneNumberId}/messages`, text(closed));
    expect(refused.body.error.code).toBe(131047);
    // The earlier history shows on the customer's phone too.
    const chat = await get(
      `${pair.sim.url}/_sim/conversation?wa_id=${open}&phone_number_id=${phoneNumberId}`,
      {},
    );
    expect(chat.body.items.map((i: { text: string }) => i.text)).toEqual([
      "Where is my order?",
      "Checking!",
      "Back again",
    ]);
  });

  it("opens a free entry point for a reply to an ad click from before the restart", async () => {
    const res = await post(`${pair.graph}/${phoneNumberId}/messages`, text(fromAd));
    const sent = await waitFor(() =>
      statusesOf(pair.receiver, res.body.messages[0].id).find((s) => s.status === "sent"),
    );
    expect(sent.conversation.origin.type).toBe("referral_conversion");
    const tpl = await post(`${pair.graph}/${phoneNumberId}/messages`, {
      messaging_product: "whatsapp",
      to: closed,
      type: "template",
      template: { name: templateName, language: { code: "en_US" } },
    });
    expect(tpl.status).toBe(200);
  });
});
