/**
 * The Graph API routes the app calls (`/v{NN}.0/...`, any version): messages, media, message
 * templates and a few object lookups, with Meta's request and error shapes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../lib/logger";
import { BadJsonError, BodyTooLargeError, bearerToken, parseJson, readBody, sendJson } from "./http-util";
import { ERR, GraphError, invalidParameter, unknownObject } from "./meta-wire";
import { multipartBoundary, parseMultipart } from "./multipart";
import type { Simulator } from "./simulator";
import type { SimTemplate } from "./state";

/** `/v21.0/{id}[/{edge}]` → version, id, edge. */
export const GRAPH_PATH_RE = /^\/v(\d+)(?:\.\d+)?\/([^/]+)(?:\/([^/]+))?\/?$/;

const JSON_LIMIT = 1024 * 1024;
const UPLOAD_LIMIT = 100 * 1024 * 1024;
const UPLOAD_MIME: Record<string, number> = {
  // Meta's per-type size limits (bytes).
  image: 5 * 1024 * 1024,
  audio: 16 * 1024 * 1024,
  video: 16 * 1024 * 1024,
  document: 100 * 1024 * 1024,
  sticker: 500 * 1024,
};

export function templateJson(t: SimTemplate): Record<string, unknown> {
  return {
    name: t.name,
    parameter_format: t.parameterFormat,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    ...(t.rejectedReason ? { rejected_reason: t.rejectedReason } : {}),
    ...(t.status === "APPROVED"
      ? { quality_score: { score: "GREEN", date: Math.floor(t.updatedAt / 1000) } }
      : {}),
    id: t.id,
  };
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  try {
    return parseJson(await readBody(req, JSON_LIMIT));
  } catch (err) {
    if (err instanceof BadJsonError)
      throw invalidParameter(`The request body is not valid JSON: ${err.message}`);
    if (err instanceof BodyTooLargeError)
      throw invalidParameter(`The request body is larger than ${JSON_LIMIT} bytes.`);
    throw err;
  }
}

/** Handles one Graph API request. */
export async function handleGraph(
  sim: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  match: RegExpExecArray,
): Promise<void> {
  const method = req.method ?? "GET";
  const apiVersion = Number(match[1]);
  const id = decodeURIComponent(match[2]);
  const edge = match[3] ?? null;

  const outage = sim.takeOutage();
  if (outage?.mode === "timeout") {
    log.info("simulator.outage_hold", { path: url.pathname });
    sim.hold(req.socket, outage.until);
    return;
  }
  try {
    if (outage?.mode === "500") throw ERR.unavailable();
    if (outage?.mode === "429") throw ERR.rateLimit();
    if (!bearerToken(req)) throw ERR.noToken();
    const result = await route(sim, req, url, method, id, edge, apiVersion);
    if (outage?.mode === "timeout_after_accept") {
      // The work is done (a message was accepted and will be delivered) but the answer never comes.
      log.info("simulator.outage_hold_after_accept", { path: url.pathname });
      sim.hold(req.socket, outage.until);
      return;
    }
    if (result.kind === "json") sendJson(res, 200, result.body);
  } catch (err) {
    if (err instanceof GraphError) {
      log.info("simulator.graph_refused", {
        method,
        path: url.pathname,
        code: err.code,
        message: err.message,
      });
      if (outage?.mode === "timeout_after_accept") {
        sim.hold(req.socket, outage.until);
        return;
      }
      sendJson(res, err.httpStatus, err.body);
      return;
    }
    throw err;
  }
}

type Result = { kind: "json"; body: unknown };
const json = (body: unknown): Result => ({ kind: "json", body });

async function route(
  sim: Simulator,
  req: IncomingMessage,
  url: URL,
  method: string,
  id: string,
  edge: string | null,
  apiVersion: number,
): Promise<Result> {
  const q = url.searchParams;
  if (edge === "messages" && method === "POST") {
    const idem = req.headers["idempotency-key"] ?? req.headers["x-idempotency-key"];
    return json(
      await sim.sendMessage(id, await jsonBody(req), {
        apiVersion,
        idempotencyHeader: typeof idem === "string" ? idem : null,
      }),
    );
  }
  if (edge === "media" && method === "POST") return json(await uploadMedia(sim, req, id));
  if (edge === "message_templates") {
    if (method === "GET") return json(listTemplates(sim, id, url));
    if (method === "POST") return json(sim.createTemplate(id, await jsonBody(req)));
    if (method === "DELETE") return json(sim.deleteTemplates(id, q.get("name"), q.get("hsm_id")));
  }
  if (edge === "phone_numbers" && method === "GET") {
    const data = [...sim.state.numbers.values()]
      .filter((n) => n.wabaId === id)
      .map((n) => ({
        verified_name: n.verifiedName,
        display_phone_number: n.displayPhoneNumber,
        id: n.phoneNumberId,
        quality_rating: "GREEN",
        code_verification_status: "VERIFIED",
        platform_type: "CLOUD_API",
        throughput: { level: "STANDARD" },
      }));
    return json({ data, paging: { cursors: { before: "", after: "" } } });
  }
  if ((edge === "subscribed_apps" || edge === "register") && method === "POST")
    return json({ success: true });
  if (edge === "subscribed_apps" && method === "GET") return json({ data: [] });

  if (edge === null) {
    const media = sim.state.media.get(id);
    const template = sim.state.templates.get(id);
    if (method === "GET") {
      if (media) {
        return json({
          messaging_product: "whatsapp",
          url: `${sim.baseUrl}/_sim/media/${media.id}`,
          mime_type: media.mimeType,
          sha256: media.sha256Hex,
          file_size: media.bytes.length,
          id: media.id,
        });
      }
      if (template) return json(templateJson(template));
      const number = sim.state.numbers.get(id);
      if (number) {
        return json({
          verified_name: number.verifiedName,
          display_phone_number: number.displayPhoneNumber,
          id: number.phoneNumberId,
          quality_rating: "GREEN",
        });
      }
      if (sim.state.isWaba(id)) return json({ id, name: "Demo WhatsApp Business Account", currency: "USD" });
    }
    if (method === "POST" && template) return json(sim.editTemplate(template, await jsonBody(req)));
    if (method === "DELETE" && media) {
      sim.state.media.delete(id);
      return json({ success: true });
    }
  }
  throw unknownObject(id, method);
}

/** GET /{waba-id}/message_templates with Meta's filters and cursor paging. */
function listTemplates(sim: Simulator, wabaId: string, url: URL): Record<string, unknown> {
  const q = url.searchParams;
  const limitRaw = q.get("limit");
  const limit = limitRaw === null ? 25 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidParameter("limit must be an integer 1–1000.");
  let all = sim.state.templatesOf(wabaId);
  const name = q.get("name");
  if (name) all = all.filter((t) => t.name === name);
  const status = q.get("status");
  if (status) {
    const wanted = status.split(",").map((s) => s.trim().toUpperCase());
    all = all.filter((t) => wanted.includes(t.status));
  }
  const category = q.get("category");
  if (category) all = all.filter((t) => t.category === category.toUpperCase());
  const language = q.get("language");
  if (language) all = all.filter((t) => t.language === language);

  const decode = (c: string | null) => (c ? Number(Buffer.from(c, "base64url").toString()) : Number.NaN);
  const after = decode(q.get("after"));
  const start = Number.isInteger(after) ? after + 1 : 0;
  const page = all.slice(start, start + limit);
  const cursor = (i: number) => Buffer.from(String(i)).toString("base64url");
  const paging: Record<string, unknown> =
    page.length > 0
      ? { cursors: { before: cursor(start), after: cursor(start + page.length - 1) } }
      : { cursors: {} };
  if (start + page.length < all.length) {
    const next = new URL(url.toString().replace(/^http:\/\/[^/]+/, sim.baseUrl));
    next.searchParams.set("after", cursor(start + page.length - 1));
    paging.next = next.toString();
  }
  return { data: page.map(templateJson), paging };
}

/** POST /{phone-number-id}/media (multipart: messaging_product, file, type). */
async function uploadMedia(
  sim: Simulator,
  req: IncomingMessage,
  phoneNumberId: string,
): Promise<Record<string, unknown>> {
  sim.state.numberFor(phoneNumberId);
  const boundary = multipartBoundary(req.headers["content-type"]);
  if (!boundary) throw invalidParameter("Media uploads must be multipart/form-data with a file part.");
  let raw: Buffer;
  try {
    raw = await readBody(req, UPLOAD_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw invalidParameter("The file is larger than 100 MB.");
    throw err;
  }
  const parts = parseMultipart(raw, boundary);
  const field = (n: string) => parts.find((p) => p.name === n && p.filename === null)?.data.toString("utf8");
  if (field("messaging_product") !== "whatsapp") {
    throw invalidParameter('The parameter messaging_product is required and must be "whatsapp".');
  }
  const file = parts.find((p) => p.name === "file");
  if (!file || file.data.length === 0) throw invalidParameter("The parameter file is required.");
  const mime = (field("type") ?? file.contentType ?? "application/octet-stream").trim();
  const family =
    mime === "image/webp"
      ? "sticker"
      : mime.split("/")[0] === "application" || mime.startsWith("text/")
        ? "document"
        : mime.split("/")[0];
  const max = UPLOAD_MIME[family];
  if (max === undefined) throw invalidParameter(`Unsupported media type ${mime}.`);
  if (file.data.length > max)
    throw invalidParameter(`The ${family} is larger than ${max} bytes, Meta's limit.`);
  const media = sim.state.addMedia(Buffer.from(file.data), mime, file.filename);
  return { id: media.id };
}
