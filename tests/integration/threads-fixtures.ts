/**
 * Fixtures for the inbox tests: each call makes its own inbox, users and
 * contacts with random ids, because every integration file shares one database.
 */
import crypto from "node:crypto";
import type { Db } from "../../db/client";
import { contacts, inboxes, inboxMembers, messages, threads, users } from "../../db/schema";
import type { Role } from "../../lib/domain";

export const rnd = () => crypto.randomInt(1e9, 9.99e9).toString();

export async function makeUser(
  db: Db,
  role: Role,
  opts: { name?: string; active?: boolean; passwordHash?: string } = {},
) {
  const id = crypto.randomUUID();
  const [u] = await db
    .insert(users)
    .values({
      id,
      email: `${role}-${id.slice(0, 8)}@test.local`,
      name: opts.name ?? `${role} ${id.slice(0, 4)}`,
      role,
      active: opts.active ?? true,
      passwordHash: opts.passwordHash ?? "x",
    })
    .returning();
  return u;
}

export async function makeInbox(db: Db, members: { id: string }[] = []) {
  const [inbox] = await db
    .insert(inboxes)
    .values({ name: `Inbox ${rnd()}`, phoneNumberId: rnd() + rnd(), wabaId: rnd(), displayNumber: rnd() })
    .returning();
  if (members.length)
    await db.insert(inboxMembers).values(members.map((m) => ({ inboxId: inbox.id, userId: m.id })));
  return inbox;
}

export async function makeThread(
  db: Db,
  inboxId: string,
  opts: {
    name?: string;
    waId?: string;
    lastMessageAt?: Date;
    status?: "open" | "pending" | "resolved" | "snoozed";
    text?: string;
    assigneeId?: string | null;
    unread?: number;
  } = {},
) {
  const [contact] = await db
    .insert(contacts)
    .values({ waId: opts.waId ?? `55${rnd()}`, profileName: opts.name ?? `Contact ${rnd()}` })
    .returning();
  const at = opts.lastMessageAt ?? new Date();
  const [thread] = await db
    .insert(threads)
    .values({
      inboxId,
      contactId: contact.id,
      status: opts.status ?? "open",
      lastMessageAt: at,
      lastInboundAt: at,
      cswExpiresAt: new Date(at.getTime() + 24 * 3600_000),
      lastMessagePreview: opts.text ?? "hello",
      assigneeId: opts.assigneeId ?? null,
      unreadCount: opts.unread ?? 0,
    })
    .returning();
  if (opts.text) {
    await db.insert(messages).values({
      threadId: thread.id,
      direction: "inbound",
      type: "text",
      body: opts.text,
      status: "received",
      wamid: `wamid.${rnd()}${rnd()}`,
      at,
    });
  }
  return { thread, contact };
}
