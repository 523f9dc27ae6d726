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
