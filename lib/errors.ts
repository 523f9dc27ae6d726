/**
 * Typed errors with stable codes, mapped once to HTTP statuses and sentences.
 * Services return or throw these; routes and actions translate them.
 */
export const ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_input: 400,
  window_closed: 422,
  template_not_approved: 422,
  template_params: 422,
  assignee_only: 403,
  meta_error: 502,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON() {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** JSON error response with a stable `error` code; unknown errors become a generic 500. */
export function errorResponse(err: unknown): Response {
  if (isAppError(err)) return Response.json(err.toJSON(), { status: err.status });
  return Response.json(
    { error: "internal", message: "Something went wrong. It has been logged." },
    { status: 500 },
  );
}
