/**
 * Builds a month of WhatsApp traffic for the costs tests through the app's own paths — inbound
 * messages and delivery statuses as Meta-shaped webhook bodies into ingestWebhookPayload (the
 * handler behind POST /api/webhooks/whatsapp), outbound messages stored the way the send service
 * and the outbox store them — and writes the same events as replay JSON-lines, the oracle the
 * dashboard is compared with (lib/pricing/replay.ts).
 *
 * Every scenario has its own inbox (a random WABA: billing is per WABA) and its own "market" — a
 * random calling-code prefix shared by its contacts — so the market-specific price rows it adds
 * price only its own contacts while other test files run in parallel on the same database.
 */
import crypto from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { contacts, inboxes, messages, prices, threads, users } from "../../db/schema";
import type { PricingModel } from "../../lib/domain";
import type { Rates } from "../../lib/pricing/rates";
import { ingestWebhookPayload } from "../../lib/services/ingest-webhook";
import { messagesValue, randomDigits, unixSeconds, webhookBody } from "./helpers/webhook";

export const HOUR = 3600_000;
export const SEED_RATES: Rates = {
  currency: "USD",
  micros: { marketing: 62500, utility: 8000, authentication: 31500, service: 0 },
  freeServicePerMonth: 1000,
};

/** First instant of the UTC month before `now`'s. */
export function lastMonthStart(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
}

type Inbound = { kind: "inbound"; waId: string; at: Date; wamid: string; referral: boolean };
type Outbound = {
  kind: "outbound";
  waId: string;
  at: Date;
  wamid: string;
  template: boolean;
  category: string | null;
  senderUserId: string | null;
};
type Status = {
  kind: "status";
  wamid: string;
  status: "delivered" | "read" | "failed" | "sent";
  at: Date;
  pricing?: Record<string, unknown>;
  conversation?: Record<string, unknown>;
};

export class Scenario {
  readonly lines: Record<string, unknown>[] = [];
  private inbound: Inbound[] = [];
  private outbound: Outbound[] = [];
  private statuses: Status[] = [];
  private waIds = new Set<string>();

  private constructor(
    readonly db: Db,
    readonly inbox: typeof inboxes.$inferSelect,
    readonly market: string,
    readonly agent: { id: string; name: string },
  ) {}

  /** A fresh inbox (random WABA and number), market prefix and agent; price rows for the market at `rates` (both models). */
  static async create(db: Db, opts: { rates?: Rates; name?: string } = {}): Promise<Scenario> {
    const [inbox] = await db
      .insert(inboxes)
      .values({
        name: opts.name ?? `Costs ${randomDigits(4)}`,
        phoneNumberId: randomDigits(15),
        wabaId: randomDigits(15),
        displayNumber: `+1555${randomDigits(7)}`,
      })
      .returning();
    // 6 digits starting 99: no real calling code, and no other test file's random numbers share it in practice.
    const market = `99${randomDigits(4)}`;
    const [agent] = await db
      .insert(users)
      .values({
        email: `costs-${market}-${randomDigits(6)}@test.local`,
        name: `Agent ${market}`,
        passwordHash: "x",
      })
      .returning();
    const s = new Scenario(db, inbox, market, { id: agent.id, name: agent.name });
    await s.setPrices(opts.rates ?? SEED_RATES, new Date("2020-01-01T00:00:00Z"));
    return s;
  }

  /** Market-specific price rows for both models from `effectiveFrom` (inserted directly: test setup, not an admin action). */
  async setPrices(rates: Rates, effectiveFrom: Date, models: PricingModel[] = ["cbp", "pmp"]) {
    await this.db.insert(prices).values(
      models.flatMap((model) =>
        (Object.keys(rates.micros) as Array<keyof Rates["micros"]>).map((category) => ({
          model,
          category,
          market: this.market,
          micros: rates.micros[category],
          effectiveFrom,
        })),
      ),
    );
  }

  /** A new customer number in this scenario's market. */
  contact(): string {
    let waId: string;
    do waId = `${this.market}${randomDigits(7)}`;
    while (this.waIds.has(waId));
    this.waIds.add(waId);
    return waId;
  }

  /** The customer writes (Meta's timestamp `at`); `referral`: came from a Click-to-WhatsApp ad. */
  customerWrites(waId: string, at: Date, opts: { referral?: boolean } = {}): string {
    const wamid = `wamid.in.${crypto.randomUUID()}`;
    const at0 = secs(at);
    this.inbound.push({ kind: "inbound", waId, at: at0, wamid, referral: Boolean(opts.referral) });
    this.lines.push({
      type: "inbound",
      at: at0.toISOString(),
      contact: waId,
      id: wamid,
      account: this.inbox.wabaId,
      ...(opts.referral ? { referral: { source_type: "ad", source_id: "120226305854810726" } } : {}),
    });
    return wamid;
  }

  /** The business sends (accepted at `at`): free-form text, or a template of `category`. */
  businessSends(waId: string, at: Date, opts: { template?: string; agent?: boolean } = {}): string {
    const wamid = `wamid.out.${crypto.randomUUID()}`;
    const at0 = secs(at);
    this.outbound.push({
      kind: "outbound",
      waId,
      at: at0,
      wamid,
      template: Boolean(opts.template),
      category: opts.template ?? null,
      senderUserId: opts.agent === false ? null : this.agent.id,
    });
    this.lines.push({
      type: "outbound",
      at: at0.toISOString(),
      contact: waId,
      id: wamid,
      account: this.inbox.wabaId,
      kind: opts.template ? "template" : "text",
      ...(opts.template ? { category: opts.template } : {}),
    });
    return wamid;
  }

  /** Meta reports a status for an outbound message, optionally with its pricing / conversation objects. */
  meta(
    wamid: string,
    status: Status["status"],
    at: Date,
    verdict: { pricing?: Record<string, unknown>; conversation?: Record<string, unknown> } = {},
  ) {
    const at0 = secs(at);
    this.statuses.push({ kind: "status", wamid, status, at: at0, ...verdict });
    this.lines.push({ type: "status", at: at0.toISOString(), id: wamid, status });
  }

  /** Sends + delivers (`delivered` `lagMs` after acceptance). */
  sendDelivered(waId: string, at: Date, opts: { template?: string; agent?: boolean; lagMs?: number } = {}) {
    const wamid = this.businessSends(waId, at, opts);
    this.meta(wamid, "delivered", new Date(at.getTime() + (opts.lagMs ?? 5000)));
    return wamid;
  }

  /**
   * Stores everything: inbound bodies (`batch` messages each) through the webhook path, then the
   * outbound rows, then status bodies — in `statusOrder` ("forward" by time, or "reverse" to make
   * the incremental free tier re-rank as earlier conversations arrive late).
   */
  async flush(opts: { batch?: number; statusOrder?: "forward" | "reverse" } = {}) {
    const batch = opts.batch ?? 100;
    const inbound = [...this.inbound].sort((a, b) => a.at.getTime() - b.at.getTime());
    for (let i = 0; i < inbound.length; i += batch) {
      const chunk = inbound.slice(i, i + batch);
      await ingestWebhookPayload(
        this.db,
        webhookBody([
          {
            wabaId: this.inbox.wabaId,
            values: [
              messagesValue({
                phoneNumberId: this.inbox.phoneNumberId,
                contacts: [...new Set(chunk.map((m) => m.waId))].map((waId) => ({
                  waId,
                  name: `Customer ${waId.slice(-4)}`,
                })),
                messages: chunk.map((m) => ({
                  from: m.waId,
                  id: m.wamid,
                  timestamp: unixSeconds(m.at),
                  type: "text",
                  text: { body: "Hello" },
                  ...(m.referral
                    ? {
                        referral: {
                          source_url: "https://fb.me/3cr4Wqqkv",
                          source_id: "120226305854810726",
                          source_type: "ad",
                          body: "Summer Succulents are here!",
                          headline: "Chat with us",
                          media_type: "image",
                          ctwa_clid: "Aff-test",
                        },
                      }
                    : {}),
                })),
              }),
            ],
          },
        ]),
      );
    }
    this.inbound = [];

    const threadIds = await this.threadsFor([...new Set(this.outbound.map((m) => m.waId))]);
    const rows = this.outbound.map((m) => ({
      threadId: threadIds.get(m.waId)!,
      direction: "outbound" as const,
      type: m.template ? "template" : "text",
      body: m.template ? `Template (${m.category})` : "Reply",
      payload: m.template
        ? { template: { name: `t_${m.category}`, language: { code: "en" } } }
        : { text: { body: "Reply" } },
      templateName: m.template ? `t_${m.category}` : null,
      templateLanguage: m.template ? "en" : null,
      templateCategory: m.template ? m.category!.toUpperCase() : null,
      // What the outbox leaves after Meta accepted the send (recordAccepted).
      wamid: m.wamid,
      status: "sent" as const,
      senderUserId: m.senderUserId,
      at: m.at,
      attempts: 1,
      nextAttemptAt: null,
    }));
    for (let i = 0; i < rows.length; i += 500) await this.db.insert(messages).values(rows.slice(i, i + 500));
    this.outbound = [];

    const statuses = [...this.statuses].sort((a, b) => a.at.getTime() - b.at.getTime());
    if (opts.statusOrder === "reverse") statuses.reverse();
    for (let i = 0; i < statuses.length; i += batch) {
      const chunk = statuses.slice(i, i + batch);
      await ingestWebhookPayload(
        this.db,
        webhookBody([
          {
            wabaId: this.inbox.wabaId,
            values: [
              messagesValue({
                phoneNumberId: this.inbox.phoneNumberId,
                statuses: chunk.map((s) => ({
                  id: s.wamid,
                  status: s.status,
                  timestamp: unixSeconds(s.at),
                  recipient_id: "0",
                  ...(s.conversation ? { conversation: s.conversation } : {}),
                  ...(s.pricing ? { pricing: s.pricing } : {}),
                  ...(s.status === "failed"
                    ? { errors: [{ code: 131026, title: "Message undeliverable" }] }
                    : {}),
                })),
              }),
            ],
          },
        ]),
      );
    }
    this.statuses = [];
  }

  /** Thread per customer in this inbox: the one ingestion created, or one made now (business-initiated). */
  private async threadsFor(waIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const waId of waIds) {
      const [c] = await this.db
        .insert(contacts)
        .values({ waId, profileName: `Customer ${waId.slice(-4)}` })
        .onConflictDoUpdate({ target: contacts.waId, set: { waId } })
        .returning({ id: contacts.id });
      const [t] = await this.db
        .insert(threads)
        .values({ inboxId: this.inbox.id, contactId: c.id })
        .onConflictDoUpdate({ target: [threads.inboxId, threads.contactId], set: { inboxId: this.inbox.id } })
        .returning({ id: threads.id });
      out.set(waId, t.id);
    }
    return out;
  }

  async contactId(waId: string): Promise<string> {
    const [c] = await this.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.waId, waId));
    return c.id;
  }
}

const secs = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
