import bcrypt from "bcryptjs";
import { eq, sql } from "drizzle-orm";
import { log } from "../lib/logger";
import { refreshThreadState } from "../lib/services/thread-state";
import type { Db, Tx } from "./client";
import { DEFAULT_PRICE_ROWS, DEMO_INBOXES, DEMO_PASSWORD, DEMO_TEMPLATES, DEMO_USERS } from "./demo-data";
import {
  cannedResponses,
  contacts,
  inboxes,
  inboxMembers,
  messages,
  prices,
  templates,
  threads,
  users,
  workspaceSettings,
} from "./schema";

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Seeds the demo workspace when the database has no users: one team, two
 * inboxes, approved templates of each category, and threads in every window
 * state (open, about to close, closed, free entry point, closing in ~90 s).
 * Times are relative to `now`, so a fresh seed always shows every state.
 */
export async function seedDemoIfEmpty(db: Db, now = new Date()): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Two instances starting at once: one seeds, the other waits and sees users.
    await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
    const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(users);
    if (n > 0) return false;
    await seedDemo(tx, now);
    log.info("db.seeded", { users: DEMO_USERS.length });
    return true;
  });
}

async function seedDemo(tx: Tx, now: Date) {
  const t = (offsetMs: number) => new Date(now.getTime() + offsetMs);
  await tx.insert(workspaceSettings).values({ id: 1 }).onConflictDoNothing();

  const hash = await bcrypt.hash(DEMO_PASSWORD, 10);
  const userRows = await tx
    .insert(users)
    .values(DEMO_USERS.map((u) => ({ ...u, passwordHash: hash })))
    .returning();
  const user = (email: string) => userRows.find((u) => u.email === email)!;

  const inboxRows = await tx
    .insert(inboxes)
    .values(DEMO_INBOXES.map((i) => ({ ...i, accessToken: "demo-access-token" })))
    .returning();
  const [support, sales] = inboxRows;
  await tx.insert(inboxMembers).values([
    { inboxId: support.id, userId: user("agent1@demo.test").id },
    { inboxId: support.id, userId: user("agent2@demo.test").id },
    { inboxId: sales.id, userId: user("agent1@demo.test").id },
  ]);

  await tx.insert(templates).values(
    DEMO_TEMPLATES.map((tpl, i) => ({
      inboxId: support.id,
      wabaId: support.wabaId,
      metaId: String(900000000000000 + i),
      name: tpl.name,
      language: tpl.language,
      category: tpl.category,
      status: tpl.status,
      rejectedReason: tpl.rejectedReason ?? null,
      components: tpl.components,
      lastSyncedAt: now,
    })),
  );

  await tx.insert(prices).values(
    DEFAULT_PRICE_ROWS.flatMap((p) => [
      {
        model: "cbp" as const,
        category: p.category,
        micros: p.micros,
        effectiveFrom: new Date("2023-06-01T00:00:00Z"),
      },
      {
        model: "pmp" as const,
        category: p.category,
        micros: p.micros,
        effectiveFrom: new Date("2025-07-01T00:00:00Z"),
      },
    ]),
  );

  await tx.insert(cannedResponses).values([
    { shortcut: "greet", body: "Hi! Thanks for reaching out — how can I help you today?" },
    { shortcut: "thanks", body: "Thank you for your patience. Is there anything else I can help with?" },
    { shortcut: "ola", body: "Olá! Obrigado pelo contato — como posso ajudar?" },
  ]);

  const agent1 = user("agent1@demo.test");
  const agent2 = user("agent2@demo.test");
  let seq = 0;
  const wamid = () => `wamid.seed${now.getTime().toString(36)}${(seq++).toString().padStart(4, "0")}`;

  type Msg = {
    dir: "in" | "out";
    at: number;
    text: string;
    template?: { name: string; category: string; params: string[] };
    delivered?: number;
    read?: number;
    by?: string;
    referral?: Record<string, unknown>;
  };
  async function thread(opts: {
    inboxId: string;
    waId: string;
    name: string;
    status?: "open" | "pending" | "resolved" | "snoozed";
    assigneeId?: string | null;
    unread?: number;
    messages: Msg[];
  }) {
    const [contact] = await tx
      .insert(contacts)
      .values({ waId: opts.waId, profileName: opts.name })
      .onConflictDoUpdate({ target: contacts.waId, set: { profileName: opts.name } })
      .returning();
    const inbound = opts.messages.filter((m) => m.dir === "in");
    const last = opts.messages[opts.messages.length - 1];
    const referralMsg = opts.messages.find((m) => m.referral);
    const [th] = await tx
      .insert(threads)
      .values({
        inboxId: opts.inboxId,
        contactId: contact.id,
        status: opts.status ?? "open",
        assigneeId: opts.assigneeId ?? null,
        lastInboundAt: inbound.length ? t(Math.max(...inbound.map((m) => m.at))) : null,
        lastMessageAt: t(last.at),
        lastMessagePreview: last.text.slice(0, 140),
        unreadCount: opts.unread ?? 0,
        referral: referralMsg?.referral ?? null,
        referralAt: referralMsg ? t(referralMsg.at) : null,
        createdAt: t(opts.messages[0].at),
      })
      .returning();
    for (const m of opts.messages) {
      await tx.insert(messages).values({
        threadId: th.id,
        direction: m.dir === "in" ? "inbound" : "outbound",
        type: m.template ? "template" : "text",
        body: m.text,
        payload: m.dir === "in" ? { body: m.text, ...(m.referral ? { referral: m.referral } : {}) } : null,
        templateName: m.template?.name ?? null,
        templateLanguage: m.template ? "en_US" : null,
        templateCategory: m.template?.category ?? null,
        templateParams: m.template?.params ?? null,
        wamid: wamid(),
        status:
          m.dir === "in"
            ? "received"
            : m.read !== undefined
              ? "read"
              : m.delivered !== undefined
                ? "delivered"
                : "sent",
        senderUserId: m.dir === "out" ? (m.by ?? null) : null,
        at: t(m.at),
        sentAt: m.dir === "out" ? t(m.at) : null,
        deliveredAt: m.delivered !== undefined ? t(m.delivered) : null,
        readAt: m.read !== undefined ? t(m.read) : null,
      });
    }
    await refreshThreadState(tx, th.id);
    return th;
  }

  // CSW open, ~23h left, assigned to agent1.
  await thread({
    inboxId: support.id,
    waId: "5511987650001",
    name: "Maria Oliveira",
    assigneeId: agent1.id,
    messages: [
      { dir: "in", at: -50 * MIN, text: "Hi! My order #1042 hasn't arrived yet." },
      {
        dir: "out",
        at: -45 * MIN,
        text: "Hi Maria, let me check that for you.",
        delivered: -45 * MIN + 2000,
        read: -44 * MIN,
        by: agent1.id,
      },
      { dir: "in", at: -40 * MIN, text: "Thanks, it was due yesterday." },
    ],
    unread: 1,
  });
  // About to close: 25 minutes left, unassigned.
  await thread({
    inboxId: support.id,
    waId: "5521976540002",
    name: "João Pereira",
    messages: [{ dir: "in", at: -(23 * HOUR + 35 * MIN), text: "Vocês entregam no Rio de Janeiro?" }],
    unread: 1,
  });
  // Closes ~90 seconds after the seed: watch the composer flip to the template picker.
  await thread({
    inboxId: support.id,
    waId: "5531965430003",
    name: "Carla Mendes",
    assigneeId: agent1.id,
    messages: [
      { dir: "in", at: -(24 * HOUR) + 90_000, text: "Can I change the delivery address?" },
      {
        dir: "out",
        at: -(23 * HOUR),
        text: "Sure — what is the new address?",
        delivered: -(23 * HOUR) + 3000,
        by: agent1.id,
      },
    ],
  });
  // Window closed three days ago: only templates can be sent.
  await thread({
    inboxId: support.id,
    waId: "5541954320004",
    name: "Pedro Santos",
    status: "pending",
    messages: [
      { dir: "in", at: -(72 * HOUR), text: "I need a copy of my invoice." },
      {
        dir: "out",
        at: -(71 * HOUR),
        text: "Sent to your e-mail, Pedro!",
        delivered: -(71 * HOUR) + 2000,
        read: -(70 * HOUR),
        by: agent2.id,
      },
    ],
  });
  // Arrived from a Click-to-WhatsApp ad and answered: free entry point for 72h.
  await thread({
    inboxId: support.id,
    waId: "5551943210005",
    name: "Luiza Costa",
    assigneeId: agent2.id,
    messages: [
      {
        dir: "in",
        at: -2 * HOUR,
        text: "Can I get more info about the succulents?",
        referral: {
          source_url: "https://fb.me/demo-ad",
          source_id: "120226305854810726",
          source_type: "ad",
          headline: "Summer Succulents are here!",
          body: "Chat with us",
          media_type: "image",
        },
      },
      {
        dir: "out",
        at: -(110 * MIN),
        text: "Of course! They start at R$19.",
        delivered: -(110 * MIN) + 1500,
        read: -(100 * MIN),
        by: agent2.id,
      },
    ],
  });
  // Business-initiated: a marketing template delivered, the customer never wrote.
  await thread({
    inboxId: support.id,
    waId: "5561932100006",
    name: "Rafael Lima",
    messages: [
      {
        dir: "out",
        at: -3 * HOUR,
        text: "Hi Rafael, our summer sale ends on Friday. Reply to get 20% off!",
        template: { name: "summer_sale", category: "marketing", params: ["Rafael", "Friday"] },
        delivered: -3 * HOUR + 2000,
        by: agent1.id,
      },
    ],
  });
  // Resolved last week.
  await thread({
    inboxId: support.id,
    waId: "5571921090007",
    name: "Beatriz Rocha",
    status: "resolved",
    messages: [
      { dir: "in", at: -(7 * 24 * HOUR), text: "Obrigada, problema resolvido!" },
      {
        dir: "out",
        at: -(7 * 24 * HOUR) + 5 * MIN,
        text: "Que bom! Até logo.",
        delivered: -(7 * 24 * HOUR) + 5 * MIN + 1000,
        by: agent2.id,
      },
    ],
  });
  // Sales inbox: agent2 is not a member.
  await thread({
    inboxId: sales.id,
    waId: "5581910980008",
    name: "Gustavo Alves",
    assigneeId: agent1.id,
    messages: [{ dir: "in", at: -(3 * HOUR), text: "I'd like a quote for 200 units." }],
    unread: 1,
  });

  await tx.update(workspaceSettings).set({ updatedAt: now }).where(eq(workspaceSettings.id, 1));
}
