import { AppError, type ErrorCode } from "./errors";
import { log } from "./logger";

/**
 * What a server action returns: a value, never a thrown error, so the client
 * can show the reason (`conflict`, `window_closed`, …) and tests can assert it.
 */
export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: ErrorCode | string; message: string; details?: Record<string, unknown> } };

/** Runs an action body: AppErrors become `{ ok: false }` values; anything else is logged and generic. */
export async function runAction<T>(name: string, fn: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await fn() };
  } catch (err) {
    if (err instanceof AppError)
      return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
    // next/navigation's redirect()/notFound() work by throwing: let them through.
    if (
      err &&
      typeof err === "object" &&
      "digest" in err &&
      String((err as { digest: unknown }).digest).startsWith("NEXT_")
    ) {
      throw err;
    }
    log.error("action.failed", { action: name, error: err instanceof Error ? err.message : String(err) });
    return { ok: false, error: { code: "internal", message: "Something went wrong. It has been logged." } };
  }
}
