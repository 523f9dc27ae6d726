/**
 * An agent starts a conversation with a template: number normalisation, inbox membership,
 * the engine's cost preview, thread creation and assignment, and delivery through the outbox to
 * the simulator's customer phone.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, messages, threads } from "../../db/schema";
import { AppError } from "../../lib/errors";
import {
  previewStartConversation,
  searchContactsForStart,
  startConversation,
} from "../../lib/services/conversations-start";
import { makeContacts, makeUser, seedOpenMarketing } from "./campaigns-helpers";
import {
  createTestInbox,
  customerWrites,
  drainUntil,
  type Harness,
  randomWaId,
  seedTemplate,
  simPost,
  simSent,
  startHarness,
  type TestInbox,
} from "./send-harness";

const db = getDb();
let h: Harness;
let inbox: TestInbox;
let other: TestInbox;
let utilityId: string;
let marketingId: string;

beforeAll(async () => {
  h = await startHarness();
  await simPost(h, "/_sim/config", { autoRead: false });
  inbox = await createTestInbox(db, h);
  other = await createTestInbox(db, h);
  utilityId = (
    await seedTemplate(db, h, inbox, {
      name: `order_ready_${Date.now()}`,
      category: "UTILITY",
      components: [
        { type: "BODY", text: "Hello {{1}}, order {{2}} is ready.", example: { body_text: [["A", "B"]] } },
      ],
    })
  ).id;
  marketingId = (
    await seedTemplate(db, h, inbox, {
      name: `sale_${Date.now()}`,
      category: "MARKETING",
      components: [{ type: "BODY", text: "Sale for {{1}}!", example: { body_text: [["A"]] } }],
    })
  ).id;
});

afterAll(async () => {
  await h?.close();
});

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("starting a conversation", () => {
  it("an agent sends a template to a new number: previewed cost, thread assigned to them, the phone receives it", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const waId = randomWaId();
    const typed = `+${waId.slice(0, 2)} (${waId.slice(2, 4)}) ${waId.slice(4, 9)}-${waId.slice(9)}`;

    const preview = await previewStartConversation(db, agent, {
      inboxId: inbox.id,
      phone: typed,
      templateId: utilityId,
    });
    expect(preview).toMatchObject({
      waId,
      contact: null,
      thread: null,
      csw: { open: false, expiresAt: null },
      template: { id: utilityId, category: "utility" },
      effect: { kind: "opens", category: "utility" },
      blocked: null,
    });
    expect(preview.effect?.costMicros).toBeGreaterThan(0);

    const result = await startConversation(db, agent, {
      inboxId: inbox.id,
      phone: typed,
      templateId: utilityId,
      params: ["Ana", "#1042"],
      clientId: `start-${waId}`,
    });
    expect(result.createdThread).toBe(true);
    const [t] = await db.select().from(threads).where(eq(threads.id, result.threadId));
    expect(t).toMatchObject({ inboxId: inbox.id, assigneeId: agent.id, status: "open" });
    const [c] = await db.select().from(contacts).where(eq(contacts.id, result.contactId));
    expect(c.waId).toBe(waId);
    expect(result.message).toMatchObject({
      type: "template",
      status: "pending",
      body: "Hello Ana, order #1042 is ready.",
      senderUserId: agent.id,
    });

    // A double-clicked Send: same message, nothing new.
    const again = await startConversation(db, agent, {
      inboxId: inbox.id,
      phone: waId,
      templateId: utilityId,
      params: ["Ana", "#1042"],
      clientId: `start-${waId}`,
    });
    expect(again.message.id).toBe(result.message.id);
    expect(again.createdThread).toBe(false);

    await drainUntil(
      db,
      inbox,
      async () => (await simSent(h, { to: waId })).length > 0,
      "the customer's phone to receive the template",
    );
    const phone = await simSent(h, { to: waId });
    expect(phone).toHaveLength(1);
    expect(phone[0].type).toBe("template");
    expect(phone[0].payload).toMatchObject({ template: { language: { code: "en_US" } } });
  });

  it("refuses what is not a phone number, naming the problem, and creates nothing", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const err = await refusal(
      startConversation(db, agent, {
        inboxId: inbox.id,
        phone: "0 11 5555",
        templateId: utilityId,
        params: ["a", "b"],
      }),
    );
    expect(err.code).toBe("invalid_input");
    expect(err.details).toMatchObject({ field: "phone", reason: "leading_zero" });
    const letters = await refusal(
      previewStartConversation(db, agent, { inboxId: inbox.id, phone: "call me" }),
    );
    expect(letters.details).toMatchObject({ field: "phone", reason: "invalid_characters" });
    const both = await refusal(previewStartConversation(db, agent, { inboxId: inbox.id }));
    expect(both.message).toMatch(/phone number or choose a contact/);
  });

  it("missing variables are refused before any thread exists", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const waId = randomWaId();
    const err = await refusal(
      startConversation(db, agent, {
        inboxId: inbox.id,
        phone: waId,
        templateId: utilityId,
        params: ["Ana"],
      }),
    );
    expect(err.code).toBe("template_params");
    expect(err.message).toMatch(/\{\{2\}\}/);
    expect(await db.select().from(contacts).where(eq(contacts.waId, waId))).toHaveLength(0);
  });

  it("agents may only start conversations in their inboxes, with templates of that inbox's account", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const err = await refusal(
      startConversation(db, agent, {
        inboxId: other.id,
        phone: randomWaId(),
        templateId: utilityId,
        params: ["a", "b"],
      }),
    );
    expect(err.code).toBe("forbidden");
    const supervisor = await makeUser(db, "supervisor");
    const wrongAccount = await refusal(
      previewStartConversation(db, supervisor, {
        inboxId: other.id,
        phone: randomWaId(),
        templateId: utilityId,
      }),
    );
    expect(wrongAccount.code).toBe("template_not_approved");
  });

  it("with the customer service window open, the preview says so and points to the existing thread", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const waId = randomWaId();
    const { threadId, contactId } = await customerWrites(db, h, inbox, waId, "Hi there");
    const p = await previewStartConversation(db, agent, {
      inboxId: inbox.id,
      contactId,
      templateId: utilityId,
    });
    expect(p.thread?.id).toBe(threadId);
    expect(p.csw.open).toBe(true);
    expect(new Date(p.csw.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(p.contact).toMatchObject({ id: contactId, profileName: "Test Customer" });
    const found = await searchContactsForStart(db, agent, waId.slice(-6));
    expect(found.map((c) => c.id)).toContain(contactId);
    const outsider = await makeUser(db, "agent", [other.id]);
    expect((await searchContactsForStart(db, outsider, waId.slice(-6))).map((c) => c.id)).not.toContain(
      contactId,
    );
  });

  it("inside an open marketing conversation: no new charge until it expires; opted-out contacts get no marketing", async () => {
    const agent = await makeUser(db, "agent", [inbox.id]);
    const [person] = await makeContacts(db, 1);
    await seedOpenMarketing(db, inbox, person.id, 2);
    const p = await previewStartConversation(db, agent, {
      inboxId: inbox.id,
      contactId: person.id,
      templateId: marketingId,
    });
    expect(p.effect).toMatchObject({ kind: "inside_open", category: "marketing", costMicros: 0 });
    const until = new Date((p.effect as { openUntil: string }).openUntil).getTime();
    expect(Math.abs(until - (Date.now() + 22 * 3600_000))).toBeLessThan(60_000);

    await db.update(contacts).set({ optedOutMarketing: true }).where(eq(contacts.id, person.id));
    const blocked = await previewStartConversation(db, agent, {
      inboxId: inbox.id,
      contactId: person.id,
      templateId: marketingId,
    });
    expect(blocked.blocked?.reason).toBe("opted_out");
    const err = await refusal(
      startConversation(db, agent, {
        inboxId: inbox.id,
        contactId: person.id,
        templateId: marketingId,
        params: ["x"],
      }),
    );
    expect(err.details).toMatchObject({ reason: "opted_out" });
    // A utility template is still fine, and the existing (resolved) thread is reopened for the sender.
    const ok = await startConversation(db, agent, {
      inboxId: inbox.id,
      contactId: person.id,
      templateId: utilityId,
      params: ["x", "y"],
    });
    expect(ok.createdThread).toBe(false);
    const [t] = await db
      .select({ status: threads.status, assigneeId: threads.assigneeId })
      .from(threads)
      .where(and(eq(threads.id, ok.threadId)));
    expect(t).toEqual({ status: "open", assigneeId: agent.id });
    const stored = await db.select().from(messages).where(eq(messages.threadId, ok.threadId));
    expect(stored).toHaveLength(2);
  });
});
