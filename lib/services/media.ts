/**
 * Media files: inbound media downloaded from Meta (GET /{media-id} → short-lived URL → bytes)
 * and outbound files agents attach, stored under MEDIA_DIR (default `${DATA_DIR}/media`).
 * Rows keep the path relative to MEDIA_DIR, so the folder can move.
 */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { inboxes, messages, threads } from "../../db/schema";
import { env } from "../env";
import { log } from "../logger";
import { emitTo } from "../realtime/emit";
import { rooms } from "../realtime/events";
import { downloadMedia, getMediaUrl } from "../whatsapp/graph-client";
import { inboxScope } from "./claim-scope";
import { errorDetail } from "./tx-retry";

/** Inbound downloads give up after this many attempts (the message stays, without its file). */
export const MEDIA_MAX_ATTEMPTS = 5;
/** How long a claimed download is leased before another worker may retry it (ms). */
const MEDIA_LEASE_MS = 120_000;

/** Absolute media folder. */
export function mediaDir(): string {
  const e = env();
  return path.resolve(e.MEDIA_DIR ?? path.join(e.DATA_DIR, "media"));
}

/** Absolute path of a stored media file, or null when `rel` would escape MEDIA_DIR. */
export function resolveMediaPath(rel: string): string | null {
  const root = mediaDir();
  const abs = path.resolve(root, rel);
  return abs.startsWith(root + path.sep) ? abs : null;
}

const EXT_BY_MIME: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "video/mp4": "mp4",
  "video/3gpp": "3gp",
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "audio/amr": "amr",
  "application/pdf": "pdf",
  "text/plain": "txt",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.ms-powerpoint": "ppt",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
};

/** File extension for a MIME type (falls back to the filename's, then `bin`). */
export function extensionFor(mime: string | null, filename?: string | null): string {
  const base = mime?.split(";")[0].trim().toLowerCase() ?? "";
  const known = EXT_BY_MIME[base];
  if (known) return known;
  const fromName = filename ? path.extname(filename).slice(1).toLowerCase() : "";
  return /^[a-z0-9]{1,8}$/.test(fromName) ? fromName : "bin";
}

/**
 * Writes bytes under MEDIA_DIR/<kind>/<yyyy-mm>/ with an unguessable name and returns the
 * relative path to store on the message. Written to a temp name first, so a crash never leaves
 * a half file under the final name.
 */
export async function saveMediaFile(
  bytes: Uint8Array,
  opts: { mime: string | null; filename?: string | null; kind: "inbound" | "outbound"; at?: Date },
): Promise<string> {
  const month = (opts.at ?? new Date()).toISOString().slice(0, 7);
  const rel = path.join(opts.kind, month, `${crypto.randomUUID()}.${extensionFor(opts.mime, opts.filename)}`);
  const abs = path.join(mediaDir(), rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.part`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, abs);
  return rel;
}

export type DownloadOutcome = "stored" | "retry" | "gave_up" | "skipped";

/**
 * Downloads one inbound message's media from Meta and stores it (media_path, media_mime).
 * Idempotent: a message that already has its file is skipped. Failures bump `attempts` on the
 * row; after MEDIA_MAX_ATTEMPTS the error stays in last_error and no one retries.
 */
export async function downloadInboundMedia(db: Db, messageId: string): Promise<DownloadOutcome> {
  const [row] = await db
    .select({
      id: messages.id,
      threadId: messages.threadId,
      inboxId: threads.inboxId,
      mediaId: messages.mediaId,
      mediaPath: messages.mediaPath,
      mediaMime: messages.mediaMime,
      payload: messages.payload,
      at: messages.at,
      attempts: messages.attempts,
      accessToken: inboxes.accessToken,
    })
    .from(messages)
    .innerJoin(threads, eq(threads.id, messages.threadId))
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .where(eq(messages.id, messageId));
  if (!row?.mediaId || row.mediaPath) return "skipped";
  // Counted before the download, so a crash mid-download still uses up an attempt.
  const attempts = row.attempts + 1;
  await db.update(messages).set({ attempts }).where(eq(messages.id, row.id));

  const cfg = { accessToken: row.accessToken };
  const fail = async (message: string, retryable: boolean): Promise<DownloadOutcome> => {
    const giveUp = !retryable || attempts >= MEDIA_MAX_ATTEMPTS;
    await db
      .update(messages)
      .set({
        lastError: `media: ${message}`,
        // Backoff 30 s, 1 min, 2 min, ...; null = nobody picks it up again.
        nextAttemptAt: giveUp ? null : new Date(Date.now() + 30_000 * 2 ** (attempts - 1)),
        attempts: giveUp ? Math.max(attempts, MEDIA_MAX_ATTEMPTS) : attempts,
      })
      .where(eq(messages.id, row.id));
    (giveUp ? log.error : log.warn)("media.download_failed", {
      messageId: row.id,
      mediaId: row.mediaId,
      attempts,
      giveUp,
      error: message,
    });
    return giveUp ? "gave_up" : "retry";
  };

  const info = await getMediaUrl(cfg, row.mediaId);
  if (!info.ok) return fail(info.message, info.retryable);
  const file = await downloadMedia(cfg, info.url);
  if (!file.ok) return fail(file.message, file.retryable);
  if (info.sha256) {
    // Meta documents sha256 as hex; tolerate base64 too.
    const hex = crypto.createHash("sha256").update(file.bytes).digest("hex");
    const b64 = Buffer.from(hex, "hex").toString("base64");
    if (info.sha256 !== hex && info.sha256 !== b64) return fail("checksum mismatch", true);
  }
  const mime = info.mimeType ?? file.mime ?? row.mediaMime;
  const filename = (row.payload as { filename?: string } | null)?.filename ?? null;
  const rel = await saveMediaFile(file.bytes, { mime, filename, kind: "inbound", at: row.at });
  await db
    .update(messages)
    .set({ mediaPath: rel, mediaMime: mime, lastError: null, nextAttemptAt: null })
    .where(eq(messages.id, row.id));
  log.info("media.stored", { messageId: row.id, bytes: file.bytes.byteLength, mime });
  // No dedicated event for "the file arrived": a status event makes clients refetch the message.
  emitTo([rooms.inbox(row.inboxId), rooms.thread(row.threadId)], "message:status", {
    threadId: row.threadId,
    inboxId: row.inboxId,
    messageId: row.id,
    status: "received",
  });
  return "stored";
}

/**
 * Claims up to `limit` inbound messages whose media is not downloaded yet (due, attempts left),
 * leasing them with SKIP LOCKED so several workers never fetch the same file, and downloads them.
 * Returns how many were attempted.
 */
export async function drainInboundMedia(
  db: Db,
  opts: { limit?: number; inboxIds?: string[] } = {},
): Promise<number> {
  const limit = opts.limit ?? 5;
  if (opts.inboxIds?.length === 0) return 0;
  const scope = inboxScope(opts.inboxIds);
  const claimed = await db.execute<{ id: string }>(sql`
    update messages m
       set next_attempt_at = now() + make_interval(secs => ${MEDIA_LEASE_MS / 1000})
     where m.id in (
       select c.id from messages c
        where c.direction = 'inbound' and c.media_id is not null and c.media_path is null
          and c.attempts < ${MEDIA_MAX_ATTEMPTS}
          and (c.next_attempt_at is null or c.next_attempt_at <= now()) ${scope}
        order by c.at
        limit ${limit}
        for update skip locked)
       and m.media_path is null
    returning m.id`);
  for (const { id } of claimed) {
    try {
      await downloadInboundMedia(db, id);
    } catch (err) {
      log.error("media.download_crashed", { messageId: id, error: errorDetail(err) });
    }
  }
  return claimed.length;
}
