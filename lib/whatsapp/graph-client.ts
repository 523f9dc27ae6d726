/**
 * WhatsApp Cloud API (Graph API) client: sends, media and template endpoints.
 * Every call returns a value, never throws: `{ ok: true, ... }` or a `GraphFailure` that says
 * whether retrying later may succeed. The base URL (with version) comes from GRAPH_API_URL, so
 * the same code talks to Meta and to the local simulator.
 */
import { env } from "../env";
import type { SendComponent } from "./template-params";

/** Per-inbox credentials; `baseUrl` overrides GRAPH_API_URL (tests), `timeoutMs` the 10 s default. */
export type GraphConfig = { accessToken: string; baseUrl?: string; timeoutMs?: number };

export type GraphFailure = {
  ok: false;
  /** Retrying later may succeed: network error/timeout, HTTP 5xx, rate limits, transient codes. */
  retryable: boolean;
  /** Meta's `error.code` (e.g. 131047), null when there was no Meta error body. */
  code: number | null;
  httpStatus: number | null;
  /** Meta's message plus `error_data.details` when present, or what went wrong on the wire. */
  message: string;
};
export type GraphResult<T> = ({ ok: true } & T) | GraphFailure;
export type SendResult = GraphResult<{ wamid: string }>;

/** Meta error codes that are transient (rate limits, temporary errors). */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([1, 2, 4, 80007, 130429, 131056]);

const DEFAULT_TIMEOUT_MS = 10_000;

type MetaErrorBody = {
  error?: {
    code?: number;
    message?: string;
    error_subcode?: number;
    error_user_msg?: string;
    error_data?: { details?: string };
  };
};

/** Classifies a non-2xx Graph response from its HTTP status and (parsed) body. */
export function failureFromResponse(httpStatus: number, body: unknown): GraphFailure {
  const err = (body as MetaErrorBody | null)?.error;
  const code = typeof err?.code === "number" ? err.code : null;
  const details = err?.error_data?.details;
  const base = err?.message ?? `HTTP ${httpStatus}`;
  const message = details && !base.includes(details) ? `${base}: ${details}` : base;
  const retryable = httpStatus >= 500 || httpStatus === 429 || (code !== null && RETRYABLE_CODES.has(code));
  return { ok: false, retryable, code, httpStatus, message };
}

/** A failure without a Meta answer (connection refused, DNS, timeout): always retryable. */
export function networkFailure(err: unknown, timeoutMs: number): GraphFailure {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError";
  const message = timedOut
    ? `No answer from the Graph API within ${Math.round(timeoutMs / 1000)} s`
    : `Graph API unreachable: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)}`;
  return { ok: false, retryable: true, code: null, httpStatus: null, message };
}

function baseUrl(cfg: GraphConfig): string {
  return (cfg.baseUrl ?? env().GRAPH_API_URL).replace(/\/+$/, "");
}

/** One Graph request: JSON in, JSON out, bearer auth, a timeout, failures as values. */
async function graphRequest<T>(
  cfg: GraphConfig,
  method: "GET" | "POST" | "DELETE",
  path: string,
  opts: { json?: unknown; form?: FormData; query?: Record<string, string | undefined> } = {},
): Promise<GraphResult<{ data: T }>> {
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = new URL(`${baseUrl(cfg)}/${path.replace(/^\/+/, "")}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const headers: Record<string, string> = { Authorization: `Bearer ${cfg.accessToken}` };
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    return networkFailure(err, timeoutMs);
  }
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: classified by status below.
  }
  if (!res.ok) return failureFromResponse(res.status, parsed);
  if (parsed === null || typeof parsed !== "object") {
    return {
      ok: false,
      retryable: false,
      code: null,
      httpStatus: res.status,
      message: "Graph API answered without JSON",
    };
  }
  return { ok: true, data: parsed as T };
}

// ---------------------------------------------------------------------------------------------
// Messages

type SendResponse = { messages?: Array<{ id?: string; message_status?: string }> };

/**
 * Options every send takes: quote a message (`context`), and an opaque string Meta echoes in the
 * status webhooks (`biz_opaque_callback_data`, max 512 chars) — we pass our message id.
 */
export type SendOptions = { replyToWamid?: string | null; bizOpaque?: string | null };

/** Common envelope of POST /{phone-number-id}/messages. */
async function sendMessageRequest(
  cfg: GraphConfig,
  phoneNumberId: string,
  to: string,
  type: string,
  fields: Record<string, unknown>,
  opts: SendOptions = {},
): Promise<SendResult> {
  const r = await graphRequest<SendResponse>(cfg, "POST", `${encodeURIComponent(phoneNumberId)}/messages`, {
    json: {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to,
      type,
      ...(opts.replyToWamid ? { context: { message_id: opts.replyToWamid } } : {}),
      ...fields,
      ...(opts.bizOpaque ? { biz_opaque_callback_data: opts.bizOpaque.slice(0, 512) } : {}),
    },
  });
  if (!r.ok) return r;
  const wamid = r.data.messages?.[0]?.id;
  if (!wamid) {
    return {
      ok: false,
      retryable: false,
      code: null,
      httpStatus: 200,
      message: "Graph API accepted the message without a message id",
    };
  }
  return { ok: true, wamid };
}

export function sendText(
  cfg: GraphConfig,
  phoneNumberId: string,
  m: { to: string; text: string; previewUrl?: boolean } & SendOptions,
): Promise<SendResult> {
  return sendMessageRequest(
    cfg,
    phoneNumberId,
    m.to,
    "text",
    { text: { body: m.text, preview_url: m.previewUrl ?? /https?:\/\//.test(m.text) } },
    m,
  );
}

/** Meta's `template` object of a send. */
export type TemplateSendObject = { name: string; language: { code: string }; components?: SendComponent[] };

export function sendTemplate(
  cfg: GraphConfig,
  phoneNumberId: string,
  m: { to: string; template: TemplateSendObject } & SendOptions,
): Promise<SendResult> {
  const template = m.template.components?.length
    ? m.template
    : { name: m.template.name, language: m.template.language };
  return sendMessageRequest(cfg, phoneNumberId, m.to, "template", { template }, m);
}

export type MediaKind = "image" | "document" | "audio" | "video" | "sticker";

/** Sends media by Meta media id or by public link. Captions apply to image/video/document; filename to documents. */
export function sendMedia(
  cfg: GraphConfig,
  phoneNumberId: string,
  m: {
    to: string;
    kind: MediaKind;
    id?: string;
    link?: string;
    caption?: string | null;
    filename?: string | null;
  } & SendOptions,
): Promise<SendResult> {
  const media: Record<string, string> = m.id ? { id: m.id } : { link: m.link ?? "" };
  if (m.caption && (m.kind === "image" || m.kind === "video" || m.kind === "document"))
    media.caption = m.caption;
  if (m.filename && m.kind === "document") media.filename = m.filename;
  return sendMessageRequest(cfg, phoneNumberId, m.to, m.kind, { [m.kind]: media }, m);
}

/** Reacts to a message (empty emoji removes the reaction). */
export function sendReaction(
  cfg: GraphConfig,
  phoneNumberId: string,
  m: { to: string; messageWamid: string; emoji: string },
): Promise<SendResult> {
  return sendMessageRequest(cfg, phoneNumberId, m.to, "reaction", {
    reaction: { message_id: m.messageWamid, emoji: m.emoji },
  });
}

/** Marks an inbound message (and the ones before it) as read: the customer sees blue ticks. */
export async function markAsRead(
  cfg: GraphConfig,
  phoneNumberId: string,
  wamid: string,
): Promise<GraphResult<Record<never, never>>> {
  const r = await graphRequest<{ success?: boolean }>(
    cfg,
    "POST",
    `${encodeURIComponent(phoneNumberId)}/messages`,
    {
      json: { messaging_product: "whatsapp", status: "read", message_id: wamid },
    },
  );
  return r.ok ? { ok: true } : r;
}

// ---------------------------------------------------------------------------------------------
// Media

/** Uploads a file for sending; returns Meta's media id (valid 30 days). */
export async function uploadMedia(
  cfg: GraphConfig,
  phoneNumberId: string,
  file: { bytes: Uint8Array; mime: string; filename: string },
): Promise<GraphResult<{ id: string }>> {
  const form = new FormData();
  form.set("messaging_product", "whatsapp");
  form.set("type", file.mime);
  form.set("file", new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mime }), file.filename);
  // Uploads take longer than JSON calls (files up to 100 MB).
  const uploadCfg = { ...cfg, timeoutMs: (cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 6 };
  const r = await graphRequest<{ id?: string }>(
    uploadCfg,
    "POST",
    `${encodeURIComponent(phoneNumberId)}/media`,
    {
      form,
    },
  );
  if (!r.ok) return r;
  if (!r.data.id)
    return {
      ok: false,
      retryable: false,
      code: null,
      httpStatus: 200,
      message: "Upload answered without a media id",
    };
  return { ok: true, id: r.data.id };
}

export type MediaInfo = {
  url: string;
  mimeType: string | null;
  sha256: string | null;
  fileSize: number | null;
};

/** GET /{media-id}: a short-lived (5 min) download URL and the file's metadata. */
export async function getMediaUrl(cfg: GraphConfig, mediaId: string): Promise<GraphResult<MediaInfo>> {
  const r = await graphRequest<{
    url?: string;
    mime_type?: string;
    sha256?: string;
    file_size?: number | string;
  }>(cfg, "GET", encodeURIComponent(mediaId));
  if (!r.ok) return r;
  if (!r.data.url)
    return {
      ok: false,
      retryable: false,
      code: null,
      httpStatus: 200,
      message: "Media answer without a url",
    };
  return {
    ok: true,
    url: r.data.url,
    mimeType: r.data.mime_type ?? null,
    sha256: r.data.sha256 ?? null,
    fileSize: r.data.file_size === undefined ? null : Number(r.data.file_size),
  };
}

/** Downloads a media URL from getMediaUrl (it needs the same bearer token). Refuses files over `maxBytes`. */
export async function downloadMedia(
  cfg: GraphConfig,
  url: string,
  opts: { maxBytes?: number } = {},
): Promise<GraphResult<{ bytes: Uint8Array; mime: string | null }>> {
  const timeoutMs = (cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 6; // files are bigger than JSON answers
  const maxBytes = opts.maxBytes ?? 100 * 1024 * 1024; // Meta's largest media (documents) is 100 MB
  try {
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${cfg.accessToken}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return failureFromResponse(res.status, parsed);
    }
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > maxBytes) {
      await res.body?.cancel();
      return {
        ok: false,
        retryable: false,
        code: null,
        httpStatus: res.status,
        message: `Media is ${declared} bytes, over the ${maxBytes}-byte limit`,
      };
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body ?? []) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        return {
          ok: false,
          retryable: false,
          code: null,
          httpStatus: res.status,
          message: `Media is over the ${maxBytes}-byte limit`,
        };
      }
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
    return { ok: true, bytes, mime: res.headers.get("content-type")?.split(";")[0].trim() ?? null };
  } catch (err) {
    return networkFailure(err, timeoutMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Templates (/{waba-id}/message_templates)

/** A template as the Graph API lists it. */
export type MetaTemplate = {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: Array<Record<string, unknown>>;
  parameter_format?: "POSITIONAL" | "NAMED";
  rejected_reason?: string;
  quality_score?: { score?: string };
  previous_category?: string;
};

const TEMPLATE_FIELDS =
  "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score";

/** One page of a WABA's templates; pass `after` (paging.cursors.after) for the next. */
export async function listTemplates(
  cfg: GraphConfig,
  wabaId: string,
  opts: { limit?: number; after?: string; name?: string; status?: string } = {},
): Promise<GraphResult<{ templates: MetaTemplate[]; after: string | null }>> {
  const r = await graphRequest<{
    data?: MetaTemplate[];
    paging?: { cursors?: { after?: string }; next?: string };
  }>(cfg, "GET", `${encodeURIComponent(wabaId)}/message_templates`, {
    query: {
      fields: TEMPLATE_FIELDS,
      limit: String(opts.limit ?? 100),
      after: opts.after,
      name: opts.name,
      status: opts.status,
    },
  });
  if (!r.ok) return r;
  const after = r.data.paging?.next ? (r.data.paging.cursors?.after ?? null) : null;
  return { ok: true, templates: r.data.data ?? [], after };
}

/** Every template of a WABA, following pages (bounded to 50 pages). */
export async function listAllTemplates(
  cfg: GraphConfig,
  wabaId: string,
): Promise<GraphResult<{ templates: MetaTemplate[] }>> {
  const all: MetaTemplate[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await listTemplates(cfg, wabaId, { after });
    if (!r.ok) return r;
    all.push(...r.templates);
    if (!r.after) break;
    after = r.after;
  }
  return { ok: true, templates: all };
}

export type NewTemplate = {
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION */
  category: string;
  components: Array<Record<string, unknown>>;
  parameter_format?: "POSITIONAL" | "NAMED";
  allow_category_change?: boolean;
};

/** Submits a template for review; Meta answers with its id and first status (usually PENDING). */
export async function createTemplate(
  cfg: GraphConfig,
  wabaId: string,
  t: NewTemplate,
): Promise<GraphResult<{ id: string; status: string; category: string }>> {
  const r = await graphRequest<{ id?: string; status?: string; category?: string }>(
    cfg,
    "POST",
    `${encodeURIComponent(wabaId)}/message_templates`,
    { json: t },
  );
  if (!r.ok) return r;
  if (!r.data.id)
    return {
      ok: false,
      retryable: false,
      code: null,
      httpStatus: 200,
      message: "Template created without an id",
    };
  return {
    ok: true,
    id: r.data.id,
    status: r.data.status ?? "PENDING",
    category: r.data.category ?? t.category,
  };
}

/** Deletes a template by name (every language), or one language version with `hsmId`. */
export async function deleteTemplate(
  cfg: GraphConfig,
  wabaId: string,
  t: { name: string; hsmId?: string },
): Promise<GraphResult<Record<never, never>>> {
  const r = await graphRequest<{ success?: boolean }>(
    cfg,
    "DELETE",
    `${encodeURIComponent(wabaId)}/message_templates`,
    {
      query: { name: t.name, hsm_id: t.hsmId },
    },
  );
  return r.ok ? { ok: true } : r;
}

/** Edits a template's components and/or category (POST /{template-id}); it goes back to review. */
export async function editTemplate(
  cfg: GraphConfig,
  templateMetaId: string,
  changes: { components?: Array<Record<string, unknown>>; category?: string },
): Promise<GraphResult<Record<never, never>>> {
  const r = await graphRequest<{ success?: boolean }>(cfg, "POST", encodeURIComponent(templateMetaId), {
    json: changes,
  });
  return r.ok ? { ok: true } : r;
}
