/**
 * The campaign pages' calls to /api/campaigns: JSON in, `{ ok, data }` or `{ ok: false, error }`
 * out, so components show the server's sentence instead of a thrown error.
 */
export type ApiError = { code: string; message: string; field?: string | null; problems?: string[] };
export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ApiError };

export async function campaignApi<T>(
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown } = {},
): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(`/api/campaigns${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: init.body === undefined ? undefined : { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: "no-store",
    });
  } catch {
    return {
      ok: false,
      error: { code: "network", message: "The server could not be reached. Check your connection." },
    };
  }
  const json = (await res.json().catch(() => null)) as (T & { error?: string; message?: string }) | null;
  if (!res.ok) {
    const e = (json ?? {}) as {
      error?: string;
      message?: string;
      field?: string | null;
      problems?: string[];
    };
    return {
      ok: false,
      error: {
        code: e.error ?? "internal",
        message: e.message ?? `Request failed (HTTP ${res.status}).`,
        field: e.field,
        problems: e.problems,
      },
    };
  }
  return { ok: true, data: json as T };
}
