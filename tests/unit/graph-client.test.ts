import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  failureFromResponse,
  getMediaUrl,
  listAllTemplates,
  networkFailure,
  sendTemplate,
  sendText,
} from "../../lib/whatsapp/graph-client";

describe("failureFromResponse", () => {
  const meta = (code: number, message = "m", details?: string) => ({
    error: { code, message, ...(details ? { error_data: { details } } : {}) },
  });

  it.each([
    [400, 131047, false],
    [400, 131026, false],
    [400, 132001, false],
    [400, 130429, true],
    [400, 131056, true],
    [400, 80007, true],
    [400, 4, true],
    [500, 1, true],
    [400, 2, true],
    [503, 131000, true],
    [401, 190, false],
  ])("HTTP %i with code %i → retryable %s", (status, code, retryable) => {
    const f = failureFromResponse(status, meta(code));
    expect(f).toMatchObject({ ok: false, retryable, code, httpStatus: status });
  });

  it("joins Meta's message and error_data.details", () => {
    const f = failureFromResponse(
      400,
      meta(131047, "Re-engagement message", "More than 24 hours have passed"),
    );
    expect(f.message).toBe("Re-engagement message: More than 24 hours have passed");
  });

  it("classifies a body that is not Meta's by HTTP status", () => {
    expect(failureFromResponse(502, null)).toMatchObject({
      retryable: true,
      code: null,
      message: "HTTP 502",
    });
    expect(failureFromResponse(404, "<html>")).toMatchObject({ retryable: false, code: null });
    expect(failureFromResponse(429, null).retryable).toBe(true);
  });

  it("treats timeouts and connection errors as retryable", () => {
    const timeout = networkFailure(Object.assign(new Error("t"), { name: "TimeoutError" }), 10_000);
    expect(timeout).toMatchObject({ retryable: true, code: null, httpStatus: null });
    expect(timeout.message).toContain("10 s");
    const refused = networkFailure(
      new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }),
      10_000,
    );
    expect(refused.message).toContain("ECONNREFUSED");
  });
});

describe("Graph requests on the wire", () => {
  // A tiny stand-in for Graph that records requests and answers per path.
  const seen: Array<{ method: string; url: string; auth?: string; body: unknown }> = [];
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => {
        raw += c;
      });
      req.on("end", () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          auth: req.headers.authorization,
          body: raw ? JSON.parse(raw) : null,
        });
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.url === "/v21.0/slow/messages") return; // never answers
        if (req.url === "/v21.0/closed/messages")
          return json(400, { error: { code: 131047, message: "Re-engagement message" } });
        if (req.url?.startsWith("/v21.0/111/messages")) return json(200, { messages: [{ id: "wamid.OK" }] });
        if (req.url === "/v21.0/media-1")
          return json(200, { url: "http://x/file", mime_type: "image/jpeg", file_size: "12" });
        if (req.url?.startsWith("/v21.0/waba/message_templates")) {
          const after = new URL(req.url, "http://x").searchParams.get("after");
          return after
            ? json(200, { data: [{ id: "2", name: "b" }] })
            : json(200, {
                data: [{ id: "1", name: "a" }],
                paging: { cursors: { after: "c1" }, next: "http://next" },
              });
        }
        json(404, { error: { code: 100, message: "Unknown path" } });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v21.0`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("sends text with bearer auth, recipient and reply context, and returns the wamid", async () => {
    const r = await sendText({ accessToken: "tok", baseUrl: base }, "111", {
      to: "5511999990000",
      text: "hi",
      replyToWamid: "wamid.IN",
    });
    expect(r).toEqual({ ok: true, wamid: "wamid.OK" });
    const req = seen.at(-1)!;
    expect(req.auth).toBe("Bearer tok");
    expect(req.body).toMatchObject({
      messaging_product: "whatsapp",
      to: "5511999990000",
      type: "text",
      text: { body: "hi", preview_url: false },
      context: { message_id: "wamid.IN" },
    });
  });

  it("sends a template in Meta's components shape", async () => {
    await sendTemplate({ accessToken: "tok", baseUrl: base }, "111", {
      to: "1",
      template: {
        name: "order_update",
        language: { code: "en_US" },
        components: [{ type: "body", parameters: [{ type: "text", text: "Maria" }] }],
      },
    });
    expect(seen.at(-1)!.body).toMatchObject({
      type: "template",
      template: { name: "order_update", language: { code: "en_US" }, components: [{ type: "body" }] },
    });
  });

  it("returns Meta's error as a value", async () => {
    const r = await sendText({ accessToken: "tok", baseUrl: base }, "closed", { to: "1", text: "x" });
    expect(r).toMatchObject({ ok: false, retryable: false, code: 131047, httpStatus: 400 });
  });

  it("times out as a retryable failure", async () => {
    const r = await sendText({ accessToken: "tok", baseUrl: base, timeoutMs: 200 }, "slow", {
      to: "1",
      text: "x",
    });
    expect(r).toMatchObject({ ok: false, retryable: true, code: null, httpStatus: null });
  });

  it("reads media metadata", async () => {
    const r = await getMediaUrl({ accessToken: "tok", baseUrl: base }, "media-1");
    expect(r).toEqual({ ok: true, url: "http://x/file", mimeType: "image/jpeg", sha256: null, fileSize: 12 });
  });

  it("follows template pages", async () => {
    const r = await listAllTemplates({ accessToken: "tok", baseUrl: base }, "waba");
    expect(r.ok && r.templates.map((t) => t.name)).toEqual(["a", "b"]);
  });
});
