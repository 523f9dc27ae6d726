import { errorResponse, isAppError } from "@/lib/errors";
import { log } from "@/lib/logger";

/**
 * Wraps a JSON route of the inbox: the handler returns data (→ 200 JSON) or
 * throws an AppError (→ its status and `{ error, message }`); anything else is
 * logged and answered with a generic 500.
 */
export function jsonRoute<P>(
  name: string,
  fn: (req: Request, params: P) => Promise<unknown>,
): (req: Request, ctx: { params: Promise<P> }) => Promise<Response> {
  return async (req, ctx) => {
    try {
      const data = await fn(req, await ctx.params);
      return data instanceof Response ? data : Response.json(data);
    } catch (err) {
      if (!isAppError(err))
        log.error("api.inbox_failed", {
          route: name,
          error: err instanceof Error ? err.message : String(err),
        });
      return errorResponse(err);
    }
  };
}
