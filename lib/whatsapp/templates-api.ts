/**
 * Meta's template management endpoints (`/{waba-id}/message_templates` and
 * `/{template-id}`) against GRAPH_API_URL — Meta's Graph API or the local
 * simulator — with the WABA's access token. Meta's error body
 * `{error:{code, error_subcode, message, error_user_title, error_user_msg}}`
 * becomes an AppError whose message the admin's form can show as is, and
 * whose `field` says where.
 */
import { AppError } from "../errors";
import { log } from "../logger";
import type { MetaTemplateCreate } from "../templates/draft";
import type { StoredTemplateComponent } from "./template-params";

export type WabaCredentials = {
  wabaId: string;
  accessToken: string;
  /** Graph API base including the version, e.g. https://graph.facebook.com/v21.0. */
  baseUrl: string;
};

/** A template as Meta lists it. */
export type MetaTemplate = {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  rejected_reason?: string | null;
  quality_score?: { score?: string | null } | null;
  parameter_format?: string;
  components: StoredTemplateComponent[];
};

/** Meta's error object, kept whole for logs and tests. */
export class MetaApiError extends Error {
  constructor(
    public readonly httpStatus: number,
    public readonly code: number | null,
    public readonly subcode: number | null,
    message: string,
    public readonly userMessage: string | null,
  ) {
    super(message);
    this.name = "MetaApiError";
  }
}

const TIMEOUT_MS = 15_000;
const LIST_FIELDS =
  "id,name,language,category,status,rejected_reason,quality_score,parameter_format,components";

async function call<T>(
  url: string,
  accessToken: string,
  init: { method: "GET" | "POST" | "DELETE"; body?: unknown },
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    log.warn("meta.templates.unreachable", { url: redact(url), error: String(err) });
    throw new AppError(
      "meta_error",
      "Could not reach WhatsApp (Meta) to manage templates. Try again in a moment.",
      {
        metaCode: null,
      },
    );
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Non-JSON (a proxy's HTML error page): reported below with the status.
  }
  if (!res.ok) {
    const e = (json as { error?: Record<string, unknown> } | null)?.error ?? {};
    const err = new MetaApiError(
      res.status,
      typeof e.code === "number" ? e.code : null,
      typeof e.error_subcode === "number" ? e.error_subcode : null,
      typeof e.message === "string" ? e.message : `HTTP ${res.status}`,
      typeof e.error_user_msg === "string" ? e.error_user_msg : null,
    );
    log.warn("meta.templates.error", {
      url: redact(url),
      method: init.method,
      status: res.status,
      code: err.code,
      subcode: err.subcode,
      message: err.message,
    });
    throw err;
  }
  return json as T;
}

/** Access tokens never reach the logs (they are sent as a header, but `next` URLs may carry one). */
function redact(url: string): string {
  return url.replace(/access_token=[^&]+/, "access_token=…");
}

/** Every template on the WABA, following Meta's cursor paging. */
export async function listMessageTemplates(creds: WabaCredentials): Promise<MetaTemplate[]> {
  const out: MetaTemplate[] = [];
  let url: string | undefined =
    `${creds.baseUrl}/${encodeURIComponent(creds.wabaId)}/message_templates?limit=100&fields=${LIST_FIELDS}`;
  // Bounded: 100 pages × 100 is far beyond Meta's per-WABA template cap.
  for (let page = 0; url && page < 100; page++) {
    const res: { data?: MetaTemplate[]; paging?: { next?: string } } = await call(url, creds.accessToken, {
      method: "GET",
    });
    out.push(...(res.data ?? []).map((t) => ({ ...t, id: String(t.id), components: t.components ?? [] })));
    url = res.paging?.next;
  }
  return out;
}

/** One template by Meta's id (status, reason, category): to catch up with a webhook that raced our write. */
export async function getMessageTemplate(
  creds: Pick<WabaCredentials, "accessToken" | "baseUrl">,
  templateId: string,
): Promise<Pick<MetaTemplate, "id" | "status" | "category" | "rejected_reason">> {
  const res = await call<MetaTemplate>(
    `${creds.baseUrl}/${encodeURIComponent(templateId)}?fields=id,name,status,category,rejected_reason`,
    creds.accessToken,
    { method: "GET" },
  );
  return {
    id: String(res.id),
    status: res.status,
    category: res.category,
    rejected_reason: res.rejected_reason ?? null,
  };
}

/** Submits a new template for review. Meta answers with its id and status (normally PENDING). */
export async function createMessageTemplate(
  creds: WabaCredentials,
  body: MetaTemplateCreate,
): Promise<{ id: string; status: string; category: string }> {
  const res = await call<{ id: string | number; status?: string; category?: string }>(
    `${creds.baseUrl}/${encodeURIComponent(creds.wabaId)}/message_templates`,
    creds.accessToken,
    { method: "POST", body },
  );
  return { id: String(res.id), status: res.status ?? "PENDING", category: res.category ?? body.category };
}

/** Edits a template's components (and, unless it is approved, its category); Meta re-reviews it. */
export async function editMessageTemplate(
  creds: Pick<WabaCredentials, "accessToken" | "baseUrl">,
  templateId: string,
  body: { category?: string; components: Array<Record<string, unknown>> },
): Promise<void> {
  await call(`${creds.baseUrl}/${encodeURIComponent(templateId)}`, creds.accessToken, {
    method: "POST",
    body,
  });
}

/**
 * Deletes a template. With `hsmId` only that language version goes; without it,
 * every language of the name. The name cannot be reused for 30 days.
 */
export async function deleteMessageTemplate(
  creds: WabaCredentials,
  target: { name: string; hsmId?: string | null },
): Promise<void> {
  const qs = new URLSearchParams({ name: target.name });
  if (target.hsmId) qs.set("hsm_id", target.hsmId);
  await call(
    `${creds.baseUrl}/${encodeURIComponent(creds.wabaId)}/message_templates?${qs}`,
    creds.accessToken,
    {
      method: "DELETE",
    },
  );
}

/**
 * Turns a failure of the calls above into an AppError with a sentence for the
 * admin and, where Meta's code points at one, the form field it concerns.
 */
export function templateErrorToAppError(
  err: unknown,
  ctx: { name?: string; language?: string } = {},
): AppError {
  if (err instanceof AppError) return err;
  if (!(err instanceof MetaApiError)) {
    log.error("meta.templates.unexpected", {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    return new AppError("meta_error", "WhatsApp (Meta) returned an unexpected answer. It has been logged.");
  }
  const details = { metaCode: err.code, metaSubcode: err.subcode, metaMessage: err.message };
  const named = ctx.name ? `"${ctx.name}"${ctx.language ? ` (${ctx.language})` : ""}` : "this name";
  const said = err.userMessage ?? err.message;
  switch (err.subcode) {
    case 2388024:
      return new AppError(
        "conflict",
        `A template called ${named} already exists on this WhatsApp account. Choose another name.`,
        { ...details, field: "name" },
      );
    case 2388023:
      return new AppError(
        "conflict",
        `A template called ${named} was deleted recently: WhatsApp keeps the name for 30 days after deletion. Choose another name.`,
        { ...details, field: "name" },
      );
    case 2388299:
      return new AppError(
        "invalid_input",
        "WhatsApp refused the body: variables can't be at its start or end.",
        {
          ...details,
          field: "body.text",
        },
      );
  }
  switch (err.code) {
    case 80008:
    case 4:
    case 80007:
      return new AppError(
        "rate_limited",
        "WhatsApp is limiting how often this account can change templates. Wait a few minutes and try again.",
        details,
      );
    case 190:
      return new AppError(
        "meta_error",
        "The inbox's WhatsApp access token is invalid or has expired: update it in the inbox settings.",
        details,
      );
    case 10:
    case 200:
      return new AppError(
        "meta_error",
        "The inbox's access token is not allowed to manage templates (it needs whatsapp_business_management).",
        details,
      );
    case 100:
      return new AppError("invalid_input", `WhatsApp refused the template: ${said}`, details);
  }
  if (err.httpStatus >= 500) {
    return new AppError(
      "meta_error",
      "WhatsApp (Meta) had a problem handling the request. Try again shortly.",
      details,
    );
  }
  return new AppError("meta_error", `WhatsApp refused the request: ${said}`, details);
}
