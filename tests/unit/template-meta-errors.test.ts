import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { MetaApiError, templateErrorToAppError } from "@/lib/whatsapp/templates-api";

const meta = (code: number | null, subcode: number | null, userMessage: string | null = null, http = 400) =>
  new MetaApiError(http, code, subcode, "Invalid parameter", userMessage);

describe("templateErrorToAppError: Meta's refusals as sentences for the form", () => {
  it.each([
    [
      "duplicate name (2388024)",
      meta(100, 2388024),
      "conflict",
      "name",
      'A template called "order_update" (en_US) already exists on this WhatsApp account. Choose another name.',
    ],
    [
      "name being deleted (2388023)",
      meta(100, 2388023),
      "conflict",
      "name",
      'A template called "order_update" (en_US) was deleted recently: WhatsApp keeps the name for 30 days after deletion. Choose another name.',
    ],
    [
      "variables at the edges (2388299)",
      meta(100, 2388299),
      "invalid_input",
      "body.text",
      "WhatsApp refused the body: variables can't be at its start or end.",
    ],
    [
      "rate limit (80008)",
      meta(80008, null, null, 400),
      "rate_limited",
      undefined,
      "WhatsApp is limiting how often this account can change templates. Wait a few minutes and try again.",
    ],
    [
      "invalid parameter with Meta's own words (100)",
      meta(100, 2388040, "Body text is too long."),
      "invalid_input",
      undefined,
      "WhatsApp refused the template: Body text is too long.",
    ],
    [
      "expired token (190)",
      meta(190, null, null, 401),
      "meta_error",
      undefined,
      "The inbox's WhatsApp access token is invalid or has expired: update it in the inbox settings.",
    ],
    [
      "Meta down (500)",
      meta(1, null, null, 500),
      "meta_error",
      undefined,
      "WhatsApp (Meta) had a problem handling the request. Try again shortly.",
    ],
  ])("%s", (_label, err, code, field, message) => {
    const e = templateErrorToAppError(err, { name: "order_update", language: "en_US" });
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.details?.field).toBe(field);
    expect(e.details?.metaCode).toBe(err.code);
  });

  it("keeps AppErrors and hides unknown failures behind a generic sentence", () => {
    const own = new AppError("not_found", "x");
    expect(templateErrorToAppError(own)).toBe(own);
    expect(templateErrorToAppError(new TypeError("boom")).message).toBe(
      "WhatsApp (Meta) returned an unexpected answer. It has been logged.",
    );
  });
});
