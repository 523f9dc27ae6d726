/**
 * Socket.IO events, typed once and shared by server and client.
 * Payloads are small: ids and the fields a list row needs; clients fetch the rest.
 */
export type ThreadSummary = {
  id: string;
  inboxId: string;
  contactId: string;
  contactName: string | null;
  waId: string;
  status: string;
  assigneeId: string | null;
  assigneeName: string | null;
  unreadCount: number;
  lastMessageAt: string;
  lastMessagePreview: string | null;
  cswExpiresAt: string | null;
  fepExpiresAt: string | null;
};

export type MessageEvent = { threadId: string; inboxId: string; messageId: string };

export interface ServerToClientEvents {
  "thread:upsert": (thread: ThreadSummary) => void;
  "message:new": (e: MessageEvent) => void;
  "message:status": (
    e: MessageEvent & { status: string; errorCode?: number | null; errorText?: string | null },
  ) => void;
  "thread:window": (e: {
    threadId: string;
    inboxId: string;
    kind: "csw" | "fep";
    expiresAt: string | null;
  }) => void;
  /** A template's status, visibility or content changed (or it was deleted: status "DELETED"). */
  "template:update": (e: {
    templateId: string;
    status: string;
    reason?: string | null;
    name?: string;
    wabaId?: string;
    visibleToAgents?: boolean;
  }) => void;
  "presence:update": (e: { online: { userId: string; name: string }[] }) => void;
  "thread:viewers": (e: {
    threadId: string;
    viewers: { userId: string; name: string; typing: boolean }[];
  }) => void;
  "campaign:progress": (e: { campaignId: string; counts: Record<string, number> }) => void;
  /** Several of the events above in one packet, handled as if each came alone (unpackEventBatches). */
  "events:batch": (events: BatchedEvent[]) => void;
}

type SingleEvent = Exclude<keyof ServerToClientEvents, "events:batch">;
/** One event inside an `events:batch` packet: its name and its arguments. */
export type BatchedEvent = { [E in SingleEvent]: [E, ...Parameters<ServerToClientEvents[E]>] }[SingleEvent];

/**
 * Makes a client socket handle each event of an `events:batch` packet exactly
 * as if it had arrived alone: the socket's own listeners for it are called, in
 * order. A webhook batch sends its changes to an inbox this way — a few
 * packets (each under the Postgres adapter's NOTIFY limit) instead of two per
 * message. Every client socket must call this once.
 */
export function unpackEventBatches(socket: {
  on(event: "events:batch", fn: (events: BatchedEvent[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: each event's listeners take that event's own arguments
  listeners(event: any): ((...args: any[]) => void)[];
}): void {
  socket.on("events:batch", (events) => {
    for (const [name, ...args] of events) for (const listener of socket.listeners(name)) listener(...args);
  });
}

export interface ClientToServerEvents {
  "thread:join": (threadId: string, ack?: (ok: boolean) => void) => void;
  "thread:leave": (threadId: string) => void;
  "thread:typing": (e: { threadId: string; typing: boolean }) => void;
}

export const rooms = {
  inbox: (inboxId: string) => `inbox:${inboxId}`,
  thread: (threadId: string) => `thread:${threadId}`,
  user: (userId: string) => `user:${userId}`,
  role: (role: string) => `role:${role}`,
};
