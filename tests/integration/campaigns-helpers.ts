/**
 * Shared fixtures for the campaign and start-conversation tests: users, contacts with a given
 * billing state (stored messages + refreshThreadState, exactly what the app would have), and the
 * campaign sender + outbox running for one test inbox only (other test files share the database
 * and run their own simulators).
 */
import crypto from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { campaigns, contacts, inboxMembers, messages, threads, users } from "../../db/schema";
import type { Role } from "../../lib/domain";
import type { Actor } from "../../lib/services/access";
import { type CampaignProgress, getCampaignProgress } from "../../lib/services/campaigns";
import { startOutboxWorker } from "../../lib/services/outbox";
import { refreshThreadState } from "../../lib/services/thread-state";
import { startCampaignSender } from "../../lib/workers/campaign-sender";
import { randomWaId, type TestInbox } from "./send-harness";

export async function makeUser(db: Db, role: Role, inboxIds: string[] = []): Promise<Actor> {
  const [u] = await db
    .insert(users)
    .values({
      email: `${role}-${crypto.randomUUID()}@campaigns.test`,
      name: `Test ${role}`,
      passwordHash: "x",
      role,
    })
    .returning({ id: users.id, role: users.role, name: users.name });
  if (inboxIds.length)
    await db.insert(inboxMembers).values(inboxIds.map((inboxId) => ({ inboxId, userId: u.id })));
  return u;
}

/** `n` new contacts with distinct random numbers, carrying `labels`. */
export async function makeContacts(
  db: Db,
  n: number,
  opts: { labels?: string[]; profileName?: string | null } = {},
): Promise<Array<{ id: string; waId: string }>> {
  const waIds = new Set<string>();
  while (waIds.size < n) waIds.add(randomWaId());
  const out: Array<{ id: string; waId: string }> = [];
  const all = [...waIds];
  for (let i = 0; i < all.length; i += 500) {
    const rows = await db
      .insert(contacts)
      .values(
        all.slice(i, i + 500).map((waId) => ({
          waId,
          labels: opts.labels ?? [],
          profileName: opts.profileName === undefined ? `Customer ${waId.slice(-4)}` : opts.profileName,
        })),
      )
      .returning({ id: contacts.id, waId: contacts.waId });
    out.push(...rows);
  }
  return out;
}

const HOUR = 3600_000;

/** A marketing template delivered to the contact `hoursAgo` ago: a marketing conversation is open. */
export async function seedOpenMarketing(db: Db, inbox: TestInbox, contactId: string, hoursAgo = 1) {
  const at = new Date(Date.now() - hoursAgo * HOUR);
  await db.transaction(async (tx) => {
    const [t] = await tx
      .insert(threads)
      .values({ inboxId: inbox.id, contactId, status: "resolved", lastMessageAt: at })
      .returning({ id: threads.id });
    await tx.insert(messages).values({
      threadId: t.id,
      direction: "outbound",
      type: "template",
      body: "Earlier offer",
      templateName: "earlier_offer",
      templateLanguage: "en_US",
      templateCategory: "marketing",
      status: "delivered",
      at,
      sentAt: at,
      deliveredAt: at,
    });
    await refreshThreadState(tx, t.id);
  });
}

/**
 * The contact came from a Click-to-WhatsApp ad 2h ago and an agent answered 1h ago: a free
 * entry point window is open for 72h from that answer.
 */
export async function seedFreeEntryPoint(db: Db, inbox: TestInbox, contactId: string) {
  const wrote = new Date(Date.now() - 2 * HOUR);
  const answered = new Date(Date.now() - HOUR);
  await db.transaction(async (tx) => {
    const [t] = await tx
      .insert(threads)
      .values({
        inboxId: inbox.id,
        contactId,
        status: "open",
        lastInboundAt: wrote,
        lastMessageAt: answered,
        referral: { source_type: "ad", source_id: "1" },
        referralAt: wrote,
      })
      .returning({ id: threads.id });
    await tx.insert(messages).values([
      {
        threadId: t.id,
        direction: "inbound",
        type: "text",
        body: "I saw your ad",
        status: "received",
        payload: { text: { body: "I saw your ad" }, referral: { source_type: "ad", source_id: "1" } },
        at: wrote,
      },
      {
        threadId: t.id,
        direction: "outbound",
        type: "text",
        body: "Hi! How can we help?",
        status: "delivered",
        at: answered,
        sentAt: answered,
        deliveredAt: answered,
      },
    ]);
    await refreshThreadState(tx, t.id);
  });
}

/** The campaign sender and the outbox, both limited to `inbox`. */
export function startSending(db: Db, inbox: TestInbox): () => Promise<void> {
  const stopSender = startCampaignSender({ db, inboxIds: [inbox.id] });
  const stopOutbox = startOutboxWorker({ db, inboxIds: [inbox.id], intervalMs: 100 });
  return async () => {
    await stopSender();
    await stopOutbox();
  };
}

export async function waitForProgress(
  db: Db,
  campaignId: string,
  done: (p: CampaignProgress) => boolean,
  what: string,
  timeoutMs = 45_000,
): Promise<CampaignProgress> {
  // Polled every half second, not in a tight loop: the progress query would compete with the
  // sender, the outbox and the webhook handler for this process's CPU.
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    const p = await getCampaignProgress(db, campaignId);
    if (process.env.CAMPAIGN_TEST_DEBUG && Date.now() - last > 3000) {
      last = Date.now();
      console.log(JSON.stringify({ ...p, failures: p.failures.slice(0, 2) }));
    }
    if (done(p)) return p;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last progress: ${JSON.stringify(progressLine(p))})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const progressLine = (p: CampaignProgress) => ({
  status: p.status,
  queued: p.queued,
  pending: p.pending,
  sent: p.sent,
  delivered: p.delivered,
  failed: p.failed,
});

export async function campaignStatus(db: Db, campaignId: string): Promise<string> {
  const [c] = await db
    .select({ status: campaigns.status })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  return c.status;
}

export const randomLabel = (what: string) => `${what}-${crypto.randomBytes(4).toString("hex")}`;
