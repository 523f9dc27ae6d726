import { parseCostsParams } from "@/components/costs/period";
import { getDb } from "@/db/client";
import { AppError, errorResponse } from "@/lib/errors";
import { log } from "@/lib/logger";
import { loadPricingModel } from "@/lib/services/contact-events";
import { getCostsDashboard } from "@/lib/services/costs";
import { costItemsCsv, summaryCsv } from "@/lib/services/costs-export";
import { requireUser } from "@/lib/session";

export const dynamic = "force-dynamic";

/**
 * GET /api/costs/export?kind=items|summary&period=…&date=…&inbox=…&agent=…&category=…&model=…
 * The dashboard's period as CSV: every conversation (CBP) or delivered message (PMP) with its
 * cost, streamed; or the summary tables. Supervisors and admins only.
 */
export async function GET(req: Request): Promise<Response> {
  const url = new URL(req.url);
  try {
    const user = await requireUser(["supervisor", "admin"]);
    const kind = url.searchParams.get("kind") ?? "items";
    if (kind !== "items" && kind !== "summary") {
      throw new AppError("invalid_input", "kind must be items or summary.", { field: "kind" });
    }
    const parsed = parseCostsParams(url.searchParams, new Date());
    if (!parsed.ok) throw new AppError("invalid_input", parsed.error, { field: parsed.field });
    const p = parsed.params;
    const db = getDb();
    const filters = {
      from: p.from,
      to: p.to,
      inboxIds: p.inboxId ? [p.inboxId] : undefined,
      agentId: p.agentId,
      category: p.category,
    };
    const model = p.model ?? (await loadPricingModel(db));
    const name = `costs-${kind}-${model}-${p.label.replace(/\.\./, "_")}.csv`;
    const headers = {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    };
    log.info("costs.export", {
      userId: user.id,
      kind,
      model,
      from: p.from.toISOString(),
      to: p.to.toISOString(),
    });
    if (kind === "summary") {
      const d = await getCostsDashboard(db, { ...filters, model });
      return new Response(summaryCsv(d), { headers });
    }
    const lines = costItemsCsv(db, model, filters);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await lines.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          log.error("costs.export_failed", { userId: user.id, error: String(err) });
          controller.error(err);
        }
      },
      async cancel() {
        await lines.return(undefined);
      },
    });
    return new Response(stream, { headers });
  } catch (err) {
    if (err instanceof AppError) {
      log.info("costs.export_rejected", { code: err.code, reason: err.message, query: url.search });
    } else {
      log.error("costs.export_failed", { error: String(err), stack: (err as Error)?.stack });
    }
    return errorResponse(err);
  }
}
