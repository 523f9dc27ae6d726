/**
 * The one shape of a REST API (/api/v1) route: authenticate the bearer API key, run the handler,
 * and turn every error into `{"error": code, "message": sentence}` with a stable code and a log
 * line. Routes stay thin: parse (zod) → call a service → serialise.
 */
import type { z } from "zod";
import type { Db } from "../../db/client";
import { getDb } from "../../db/client";
import { AppError, errorResponse } from "../errors";
import { log } from "../logger";
import { verifyApiKey } from "../services/api-keys";
import { errorDetail } from "../services/tx-retry";

export type ApiKeyPrincipal = { id: string; name: string };

/** The API key a request carries in `Authorization: Bearer whk_…`; throws `unauthorized`. */
export async function requireApiKey(db: Db, req: Request): Promise<ApiKeyPrincipal> {
  const header = req.headers.get("authorization");
  if (!header || !/^Bearer\s+\S+/i.test(header)) {
    throw new AppError("unauthorized", "Send an API key as `Authorization: Bearer <key>`.");
  }
  const key = await verifyApiKey(db, header);
  if (!key) throw new AppError("unauthorized", "This API key is not valid or has been revoked.");
  return key;
}

type RouteContext<P> = { params: Promise<P> };
type ApiHandler<P> = (args: {
  req: Request;
  params: P;
  apiKey: ApiKeyPrincipal;
  db: Db;
}) => Promise<Response>;

/** Wraps a route handler with API-key auth and error mapping. */
export function withApiKey<P = Record<string, never>>(handler: ApiHandler<P>) {
  return async (req: Request, ctx?: RouteContext<P>): Promise<Response> => {
    const url = new URL(req.url);
    let apiKeyId: string | undefined;
    try {
      const db = getDb();
      const apiKey = await requireApiKey(db, req);
      apiKeyId = apiKey.id;
      const params = ((await ctx?.params) ?? {}) as P;
      return await handler({ req, params, apiKey, db });
    } catch (err) {
      if (err instanceof AppError) {
        log.info("api.rejected", {
          method: req.method,
          path: url.pathname,
          apiKeyId,
          code: err.code,
          reason: err.message,
        });
        const res = errorResponse(err);
        if (err.code === "unauthorized") res.headers.set("WWW-Authenticate", 'Bearer realm="api"');
        return res;
      }
      log.error("api.failed", {
        method: req.method,
        path: url.pathname,
        apiKeyId,
        error: errorDetail(err),
        stack: (err as Error)?.stack,
      });
      return errorResponse(err);
    }
  };
}

/** Names the first offending field of a zod error in one sentence. */
function zodSentence(error: z.ZodError, what: string): { message: string; field: string | null } {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : null;
  const message = field
    ? `Invalid ${what} field "${field}": ${issue.message}.`
    : `Invalid ${what}: ${issue?.message ?? "malformed"}.`;
  return { message: message.replace(/\.\.$/, "."), field };
}

/** Parses a JSON body with `schema`; throws `invalid_input` naming the field. */
export async function parseJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError("invalid_input", "The request body must be JSON.");
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const { message, field } = zodSentence(r.error, "body");
    throw new AppError("invalid_input", message, { field });
  }
  return r.data;
}

/** Parses the query string with `schema`; throws `invalid_input` naming the parameter. */
export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  const r = schema.safeParse(query);
  if (!r.success) {
    const { message, field } = zodSentence(r.error, "query");
    throw new AppError("invalid_input", message, { field });
  }
  return r.data;
}

/** A uuid path parameter, or `not_found` (a malformed id names nothing). */
export function uuidParam(value: string | undefined, what: string): string {
  if (!value || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new AppError("not_found", `No ${what} with this id.`);
  }
  return value;
}
