/**
 * Teaches a freshly started simulator what the real Meta would already know, from the app's
 * database: the business numbers (inboxes), the templates, the workspace's pricing model, and each
 * customer's earlier messages with their delivery times. Without this, a restart would forget that
 * Maria wrote an hour ago and refuse the agent's reply with 131047 while the app shows the window
 * open. Only used by the demo wiring (server.ts), never by the Graph routes themselves.
 */
import { and, asc, eq, isNotNull, isNull, ne } from "drizzle-orm";
import type { Db } from "../db/client";
import { contacts, inboxes, messages, templates, threads, workspaceSettings } from "../db/schema";
import type { HistoryItem, SimulatorBootstrap } from "./state";
import type { MetaTemplateCategory, MetaTemplateStatus, TemplateComponent } from "./template-rules";

export function dbBootstrap(db: Db): SimulatorBootstrap {
  return {
    async numbers() {
      const rows = await db.select().from(inboxes);
      return rows.map((r) => ({
        phone_number_id: r.phoneNumberId,
        waba_id: r.wabaId,
        display_phone_number: r.displayNumber,
        verified_name: r.name,
      }));
    },
    async templates() {
      const rows = await db.select().from(templates).where(isNull(templates.deletedAt));
      return rows
        .filter((r) => r.metaId !== null)
        .map((r) => ({
          id: r.metaId!,
          waba_id: r.wabaId,
          name: r.name,
          language: r.language,
          category: r.category.toUpperCase() as MetaTemplateCategory,
          status: r.status as MetaTemplateStatus,
          rejected_reason: r.rejectedReason,
          components: r.components as TemplateComponent[],
        }));
    },
    async pricingModel() {
      const [row] = await db.select({ m: workspaceSettings.pricingModel }).from(workspaceSettings).limit(1);
      return row?.m ?? null;
    },
    async history(phoneNumberId: string, waId: string): Promise<HistoryItem[]> {
      const rows = await db
        .select({
          direction: messages.direction,
          wamid: messages.wamid,
          type: messages.type,
          body: messages.body,
          payload: messages.payload,
          templateCategory: messages.templateCategory,
          at: messages.at,
          deliveredAt: messages.deliveredAt,
          readAt: messages.readAt,
          failedAt: messages.failedAt,
        })
        .from(messages)
        .innerJoin(threads, eq(messages.threadId, threads.id))
        .innerJoin(inboxes, eq(threads.inboxId, inboxes.id))
        .innerJoin(contacts, eq(threads.contactId, contacts.id))
        .where(
          and(
            eq(inboxes.phoneNumberId, phoneNumberId),
            eq(contacts.waId, waId),
            isNotNull(messages.wamid),
            ne(messages.type, "note"),
          ),
        )
        .orderBy(asc(messages.at));
      return rows.map((r) => {
        const payload = (r.payload ?? {}) as { referral?: object };
        return {
          direction: r.direction,
          wamid: r.wamid!,
          at: r.at.getTime(),
          type: r.type,
          templateCategory: r.templateCategory,
          referral: r.direction === "inbound" ? (payload.referral ?? null) : null,
          text: r.body,
          deliveredAt: r.deliveredAt?.getTime() ?? null,
          readAt: r.readAt?.getTime() ?? null,
          failedAt: r.failedAt?.getTime() ?? null,
        };
      });
    },
  };
}
