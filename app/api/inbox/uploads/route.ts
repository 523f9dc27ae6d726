import { AppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import { saveMediaFile } from "@/lib/services/media";
import { requireUser } from "@/lib/session";
import { jsonRoute } from "../respond";

export const dynamic = "force-dynamic";

/** WhatsApp's limits per kind (Cloud API "Supported media types"), in bytes. */
const LIMITS = { image: 5, audio: 16, video: 16, document: 100 } as const;

function kindOf(mime: string): keyof typeof LIMITS {
  if (/^image\/(jpeg|png)$/.test(mime)) return "image";
  if (mime.startsWith("audio/")) return "audio";
  if (/^video\/(mp4|3gpp)$/.test(mime)) return "video";
  return "document";
}

/**
 * POST /api/inbox/uploads (multipart `file`) → `{ mediaPath, mediaKind, mime, filename }`
 * to pass to a media send. Stored under MEDIA_DIR/outbound with an unguessable name.
 */
export const POST = jsonRoute<Record<string, never>>("uploads", async (req) => {
  const user = await requireUser();
  const form = await req.formData().catch(() => null);
  const file = form?.get("file");
  if (!(file instanceof File) || file.size === 0) throw new AppError("invalid_input", "Attach a file.");
  const mime = file.type || "application/octet-stream";
  const mediaKind = kindOf(mime);
  const maxMb = LIMITS[mediaKind];
  if (file.size > maxMb * 1024 * 1024) {
    log.warn("inbox.upload_too_large", { userId: user.id, size: file.size, mime });
    throw new AppError("invalid_input", `This ${mediaKind} is larger than WhatsApp's ${maxMb} MB limit.`, {
      maxMb,
    });
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const mediaPath = await saveMediaFile(bytes, { mime, filename: file.name, kind: "outbound" });
  return { mediaPath, mediaKind, mime, filename: file.name };
});
