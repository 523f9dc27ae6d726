/**
 * The simulator's own control API under /_sim/ (for tests, the CLI and the phone page):
 * customers writing in, what the business sent, fault injection, template review by hand,
 * number registration, webhook log and replay. Errors here are `{error:{message}}`, not Graph's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../lib/logger";
import { templateJson } from "./graph-api";
import {
  BadJsonError,
  BodyTooLargeError,
  bearerToken,
  parseJson,
  readBody,
  sendBytes,
  sendJson,
} from "./http-util";
import type { InboundInput, Simulator } from "./simulator";
import { SimInputError } from "./simulator";
import type { OutageMode, SentMessage, SimNumberInput, SimTemplateInput } from "./state";
import { TEMPLATE_CATEGORIES_META, TEMPLATE_NAME_RE, validateTemplateComponents } from "./template-rules";

const OUTAGE_MODES: OutageMode[] = ["500", "timeout", "429", "timeout_after_accept"];

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = parseJson(await readBody(req, 1024 * 1024));
  } catch (err) {
    if (err instanceof BadJsonError) throw new SimInputError(`body is not valid JSON: ${err.message}`);
    if (err instanceof BodyTooLargeError) throw new SimInputError("body is larger than 1 MB", 413);
    throw err;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SimInputError("body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function sentJson(m: SentMessage, sim: Simulator) {
  return {
    wamid: m.wamid,
    phone_number_id: m.phoneNumberId,
    to: m.to,
    type: m.type,
    payload: m.payload,
    at: new Date(m.at).toISOString(),
    api_version: m.apiVersion,
    idempotency_key: m.idempotencyKey,
    posts_with_same_key: m.idempotencyKey === null ? null : (sim.state.postsByKey.get(m.idempotencyKey) ?? 0),
    template: m.template,
    statuses: m.statuses.map((s) => ({ status: s.status, at: new Date(s.at).toISOString() })),
  };
}

function phoneOf(sim: Simulator, url: URL): string {
  const id = url.searchParams.get("phone_number_id");
  if (id) return id;
  const first = [...sim.state.numbers.values()].find((n) => !n.learned);
  if (!first) throw new SimInputError("pass phone_number_id");
  return first.phoneNumberId;
}

/** Handles /_sim/* and the media bytes. Returns false if no route matched. */
export async function handleControl(
  sim: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const method = req.method ?? "GET";
  const path = url.pathname.replace(/\/+$/, "");
  const parts = path.split("/").slice(2); // after "/_sim"
  try {
    const [head, a, b] = parts;
    if (head === "state" && method === "GET") {
      const s = sim.state;
      sendJson(res, 200, {
        config: s.config,
        webhook_url: sim.sender.opts.url,
        numbers: [...s.numbers.values()],
        templates: [...s.templates.values()].map((t) => ({ ...templateJson(t), waba_id: t.wabaId })),
        outage: s.outage,
        held_requests: sim.heldCount,
        undeliverable: [...s.undeliverable],
        counts: {
          sent: s.sent.length,
          inbound: s.inbound.length,
          webhooks: s.webhooks.length,
          webhooks_failed: s.webhooks.filter((w) => !w.delivered && !w.retrying).length,
          webhooks_retrying: s.webhooks.filter((w) => w.retrying).length,
        },
        posts_by_key: Object.fromEntries(s.postsByKey),
        duplicates: s.duplicates(),
      });
      return true;
    }
    if (head === "reset" && method === "POST") {
      await sim.reset();
      log.info("simulator.reset");
      sendJson(res, 200, { ok: true });
      return true;
    }
    if (head === "config" && method === "POST") {
      const input = await body(req);
      const c = sim.state.config;
      if (input.pricingModel !== undefined) {
        if (input.pricingModel !== "cbp" && input.pricingModel !== "pmp")
          throw new SimInputError('pricingModel is "cbp" or "pmp"');
        c.pricingModel = input.pricingModel;
      }
      if (input.autoRead !== undefined) {
        if (typeof input.autoRead !== "boolean") throw new SimInputError("autoRead is a boolean");
        c.autoRead = input.autoRead;
      }
      for (const k of ["statusDelayMs", "approvalDelayMs"] as const) {
        if (input[k] === undefined) continue;
        const v = input[k];
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 3_600_000) {
          throw new SimInputError(`${k} is an integer number of milliseconds, 0–3600000`);
        }
        c[k] = v;
      }
      sendJson(res, 200, { config: c });
      return true;
    }
    if (head === "numbers") {
      if (method === "GET") {
        sendJson(res, 200, { data: [...sim.state.numbers.values()].filter((n) => !n.learned) });
        return true;
      }
      if (method === "POST") {
        const input = await body(req);
        for (const k of ["phone_number_id", "waba_id", "display_phone_number"] as const) {
          if (typeof input[k] !== "string" || !/^[0-9A-Za-z_-]{1,64}$/.test(input[k] as string)) {
            throw new SimInputError(`${k} is required (digits)`);
          }
        }
        const n = sim.state.registerNumber(input as unknown as SimNumberInput);
        sendJson(res, 200, n);
        return true;
      }
    }
    if (head === "inbound" && method === "POST") {
      const out = await sim.inbound((await body(req)) as InboundInput);
      sendJson(res, 200, out);
      return true;
    }
    if (head === "sent" && method === "GET") {
      const to = url.searchParams.get("to")?.replace(/\D/g, "");
      const pid = url.searchParams.get("phone_number_id");
      const data = sim.state.sent
        .filter((m) => (!to || m.to === to) && (!pid || m.phoneNumberId === pid))
        .map((m) => sentJson(m, sim));
      sendJson(res, 200, { data });
      return true;
    }
    if (head === "conversation" && method === "GET") {
      const waId = url.searchParams.get("wa_id")?.replace(/\D/g, "");
      if (!waId) throw new SimInputError("wa_id is required");
      const pid = phoneOf(sim, url);
      await sim.loadContact(pid, waId);
      sendJson(res, 200, { phone_number_id: pid, wa_id: waId, items: sim.conversation(pid, waId) });
      return true;
    }
    if (head === "read" && method === "POST") {
      const input = await body(req);
      const waId = String(input.wa_id ?? "").replace(/\D/g, "");
      if (!waId) throw new SimInputError("wa_id is required");
      const pid = typeof input.phone_number_id === "string" ? input.phone_number_id : phoneOf(sim, url);
      sendJson(res, 200, { read: await sim.customerRead(pid, waId) });
      return true;
    }
    if (head === "statuses" && method === "POST") {
      const input = await body(req);
      const m = typeof input.wamid === "string" ? sim.state.sentById.get(input.wamid) : undefined;
      if (!m) throw new SimInputError(`unknown wamid ${JSON.stringify(input.wamid ?? null)}`, 404);
      const status = input.status;
      if (status !== "sent" && status !== "delivered" && status !== "read" && status !== "failed") {
        throw new SimInputError("status is sent, delivered, read or failed");
      }
      const code = input.error_code === undefined ? undefined : Number(input.error_code);
      if (code !== undefined && !Number.isInteger(code)) throw new SimInputError("error_code is an integer");
      const d = await sim.emitStatus(m, status, code === undefined ? undefined : { code });
      if (!d) throw new SimInputError(`${m.wamid} already reported ${status}`, 409);
      sendJson(res, 200, { seq: d.seq, status: d.attempts[0]?.status ?? 0 });
      return true;
    }
    if (head === "undeliverable") {
      const input = method === "GET" ? {} : await body(req);
      const waId = String(input.wa_id ?? "").replace(/\D/g, "");
      if (method === "POST" || method === "DELETE") {
        if (!waId) throw new SimInputError("wa_id is required");
        if (method === "POST") sim.state.undeliverable.add(waId);
        else sim.state.undeliverable.delete(waId);
      }
      sendJson(res, 200, { undeliverable: [...sim.state.undeliverable] });
      return true;
    }
    if (head === "outage") {
      if (method === "DELETE") {
        sim.clearOutage();
        sendJson(res, 200, { outage: null });
        return true;
      }
      if (method === "POST") {
        const input = await body(req);
        const mode = String(input.mode) as OutageMode;
        if (!OUTAGE_MODES.includes(mode))
          throw new SimInputError(`mode is one of ${OUTAGE_MODES.join(", ")}`);
        const forMs = input.forMs === undefined ? 60_000 : Number(input.forMs);
        if (!Number.isInteger(forMs) || forMs <= 0 || forMs > 24 * 3600_000) {
          throw new SimInputError("forMs is a positive integer of milliseconds (at most 24h)");
        }
        const count = input.count === undefined ? null : Number(input.count);
        if (count !== null && (!Number.isInteger(count) || count <= 0))
          throw new SimInputError("count is a positive integer");
        sim.setOutage(mode, forMs, count);
        sendJson(res, 200, { outage: sim.state.outage });
        return true;
      }
      if (method === "GET") {
        sendJson(res, 200, { outage: sim.state.outage });
        return true;
      }
    }
    if (head === "templates") {
      if (a === undefined && method === "POST") {
        // Seeds a template directly (any status, no review delay): test setup.
        const input = await body(req);
        if (typeof input.name !== "string" || !TEMPLATE_NAME_RE.test(input.name))
          throw new SimInputError("name: [a-z0-9_]+");
        if (typeof input.language !== "string") throw new SimInputError("language is required");
        const category = String(input.category ?? "").toUpperCase();
        if (!(TEMPLATE_CATEGORIES_META as readonly string[]).includes(category)) {
          throw new SimInputError("category is MARKETING, UTILITY or AUTHENTICATION");
        }
        const v = validateTemplateComponents(
          input.components,
          category as "MARKETING",
          input.parameter_format,
        );
        const waba = typeof input.waba_id === "string" ? input.waba_id : sim.state.defaultWabaId;
        if (sim.state.findTemplate(waba, input.name, input.language)) {
          throw new SimInputError(`template ${input.name} (${input.language}) already exists`, 409);
        }
        const t = sim.state.addTemplate({
          ...(input as unknown as SimTemplateInput),
          waba_id: waba,
          category: category as SimTemplateInput["category"],
          status: (input.status as SimTemplateInput["status"]) ?? "APPROVED",
          components: v.components,
          parameter_format: v.parameterFormat,
        });
        sendJson(res, 200, templateJson(t));
        return true;
      }
      if (a === "review" && b === undefined && method === "POST") {
        const input = await body(req);
        if (input.id !== undefined && typeof input.id !== "string")
          throw new SimInputError("id is a template id");
        if (typeof input.id === "string" && !sim.state.templates.has(input.id)) {
          throw new SimInputError(`unknown template id ${input.id}`, 404);
        }
        sendJson(res, 200, { reviewed: await sim.reviewNow(input.id as string | undefined) });
        return true;
      }
      if (a !== undefined && b === "status" && method === "POST") {
        const t = sim.state.templates.get(a);
        if (!t) throw new SimInputError(`unknown template id ${a}`, 404);
        const input = await body(req);
        const d = await sim.setTemplateStatus(
          t,
          String(input.status ?? ""),
          typeof input.reason === "string" ? input.reason : undefined,
        );
        sendJson(res, 200, { template: templateJson(t), webhook_status: d.attempts[0]?.status ?? 0 });
        return true;
      }
    }
    if (head === "webhooks") {
      if (a === undefined && method === "GET") {
        const kind = url.searchParams.get("kind");
        const ref = url.searchParams.get("ref");
        const data = sim.state.webhooks
          .filter((w) => (!kind || w.kind === kind) && (!ref || w.ref === ref))
          .map((w) => ({ ...w, body: JSON.parse(w.body) }));
        sendJson(res, 200, { data });
        return true;
      }
      if (a !== undefined && b === "replay" && method === "POST") {
        const w = sim.state.webhooks.find((x) => x.seq === Number(a));
        if (!w) throw new SimInputError(`unknown webhook ${a}`, 404);
        sendJson(res, 200, { status: await sim.sender.replay(w) });
        return true;
      }
    }
    if (head === "media" && a !== undefined && method === "GET") {
      // Like Meta's media URLs: the bytes need the business's access token.
      if (!bearerToken(req)) {
        sendJson(res, 401, { error: { message: "Authorization: Bearer <token> required", code: 190 } });
        return true;
      }
      const m = sim.state.media.get(a);
      if (!m) {
        sendJson(res, 404, { error: { message: `unknown media ${a}` } });
        return true;
      }
      sendBytes(res, 200, m.mimeType, m.bytes);
      return true;
    }
    return false;
  } catch (err) {
    if (err instanceof SimInputError) {
      log.info("simulator.control_refused", { method, path, error: err.message });
      sendJson(res, err.status, { error: { message: err.message } });
      return true;
    }
    throw err;
  }
}
