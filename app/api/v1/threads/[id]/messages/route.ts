import { z } from "zod";
import { parseJsonBody, parseQuery, uuidParam, withApiKey } from "@/lib/api/handler";
import { listMessagesJson, messageJson } from "@/lib/api/threads";
import { MAX_CAPTION_CHARS, MAX_TEXT_CHARS, type SendInput, sendMessage } from "@/lib/services/send-message";

export const dynamic = "force-dynamic";

const listSchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.uuid("`before` is the id of the last message of the previous page").optional(),
});

/** GET /api/v1/threads/{id}/messages?before=&limit=: newest first; pass next_before to page back. */
export const GET = withApiKey<{ id: string }>(async ({ req, params, db }) => {
  const q = parseQuery(req, listSchema);
  return Response.json(await listMessagesJson(db, uuidParam(params.id, "thread"), q));
});

const clientId = z.string().min(1).max(100).optional();
const paramValues = z.union([z.array(z.string()), z.record(z.string(), z.string())]);

const bodySchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("text"),
    text: z.string().trim().min(1, "must not be empty").max(MAX_TEXT_CHARS),
    reply_to_message_id: z.uuid().optional(),
    client_id: clientId,
  }),
  z
    .object({
      type: z.literal("template"),
      template_id: z.uuid().optional(),
      name: z.string().min(1).max(512).optional(),
      language: z.string().min(2).max(15).optional(),
      params: paramValues.optional(),
      header_params: paramValues.optional(),
      header_media: z
        .object({
          kind: z.enum(["image", "video", "document"]),
          id: z.string().min(1).optional(),
          link: z.url({ protocol: /^https$/ }).optional(),
          filename: z.string().max(240).optional(),
        })
        .refine((m) => m.id || m.link, { message: "give an id or a link" })
        .optional(),
      button_params: paramValues.optional(),
      client_id: clientId,
    })
    .refine((t) => t.template_id || t.name, { message: "give template_id or name", path: ["name"] }),
  z.object({
    type: z.literal("media"),
    media_kind: z.enum(["image", "document", "audio", "video"]),
    link: z.url({ protocol: /^https$/, error: "must be a public https URL" }),
    caption: z.string().max(MAX_CAPTION_CHARS).optional(),
    filename: z.string().max(240).optional(),
    reply_to_message_id: z.uuid().optional(),
    client_id: clientId,
  }),
  z.object({
    type: z.literal("note"),
    text: z.string().trim().min(1, "must not be empty").max(MAX_TEXT_CHARS),
    client_id: clientId,
  }),
]);

type Body = z.infer<typeof bodySchema>;

function toSendInput(b: Body): SendInput {
  switch (b.type) {
    case "text":
      return { type: "text", text: b.text, replyToMessageId: b.reply_to_message_id };
    case "template":
      return {
        type: "template",
        templateId: b.template_id,
        name: b.name,
        language: b.language,
        params: b.params,
        headerParams: b.header_params,
        headerMedia: b.header_media,
        buttonParams: b.button_params,
      };
    case "media":
      return {
        type: "media",
        mediaKind: b.media_kind,
        link: b.link,
        caption: b.caption,
        filename: b.filename,
        replyToMessageId: b.reply_to_message_id,
      };
    case "note":
      return { type: "note", text: b.text };
  }
}

/**
 * POST /api/v1/threads/{id}/messages: queue a message (201 with the stored message, status
 * "pending"; its status moves on as Meta reports). Refusals: 422 window_closed /
 * template_not_approved / template_params, 400 invalid_input. Retries are safe with the same
 * `client_id` (or an `Idempotency-Key` header): the first message comes back.
 */
export const POST = withApiKey<{ id: string }>(async ({ req, params, apiKey, db }) => {
  const threadId = uuidParam(params.id, "thread");
  const body = await parseJsonBody(req, bodySchema);
  const key = body.client_id ?? req.headers.get("idempotency-key") ?? undefined;
  const r = await sendMessage(db, {
    threadId,
    actor: { apiKeyId: apiKey.id },
    input: toSendInput(body),
    // Scoped to the key, so two integrations cannot collide (nor guess the UI's ids).
    clientId: key ? `api:${apiKey.id}:${key.slice(0, 100)}` : undefined,
  });
  if (!r.ok) throw r.error;
  return Response.json(messageJson(r.message), { status: 201 });
});
