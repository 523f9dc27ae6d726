import { z } from "zod";
import { CSV_MAX_BYTES } from "@/lib/campaigns/csv";
import { AppError, errorResponse, isAppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import type { Actor } from "@/lib/services/access";
import { requireUser } from "@/lib/session";

/** A campaign body carries at most a 5 MB CSV plus the form around it. */
const MAX_BODY_BYTES = CSV_MAX_BYTES + 256 * 1024;

/**
 * The one shape of a campaign route: session with a supervisor or admin role, the handler's data
 * as JSON, AppErrors as their status with `{ error, message }`, anything else logged and generic.
 * Route handlers rather than server actions because a CSV audience can exceed the 1 MB limit of
 * server action bodies.
 */
export function campaignRoute<P>(
  name: string,
  fn: (args: { req: Request; params: P; user: Actor }) => Promise<unknown>,
): (req: Request, ctx: { params: Promise<P> }) => Promise<Response> {
  return async (req, ctx) => {
    try {
      const user = await requireUser(["supervisor", "admin"]);
      const data = await fn({ req, params: await ctx.params, user });
      return data instanceof Response ? data : Response.json(data);
    } catch (err) {
      if (isAppError(err)) {
        log.info("api.campaigns_rejected", { route: name, code: err.code, reason: err.message });
      } else {
        log.error("api.campaigns_failed", {
          route: name,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      return errorResponse(err);
    }
  };
}

/**
 * The JSON body of a mutating request. Requiring `application/json` also keeps other sites from
 * posting here with the session cookie (a cross-site JSON POST needs a CORS preflight we never grant).
 */
export async function jsonBody(req: Request): Promise<unknown> {
  if (!(req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    throw new AppError("invalid_input", "Send the request body as application/json.");
  }
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) throw new AppError("invalid_input", "The request is larger than 5 MB.");
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new AppError("invalid_input", "The request is larger than 5 MB.");
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_input", "The request body is not valid JSON.");
  }
}

export const campaignIdSchema = z.string().uuid();
