import fs from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, expect, type Locator, type Page, test } from "@playwright/test";

/**
 * The agents' inbox, live, with two agents in two browser contexts and the
 * Cloud API simulator's phone page as the customer. The database is seeded
 * fresh when the app starts (tests/e2e/run.ts), so seeded timings hold.
 */

const PASSWORD = "demo1234";
const SIM = process.env.E2E_SIMULATOR_URL ?? "http://127.0.0.1:4010";
const SCREENSHOTS = path.resolve(import.meta.dirname, "..", "..", "public", "screenshots");

type Agent = { context: BrowserContext; page: Page };

async function signIn(browser: Browser, email: string): Promise<Agent> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/inbox/);
  await expect(page.getByRole("navigation", { name: "Conversations" })).toBeVisible();
  return { context, page };
}

const list = (page: Page) => page.getByRole("navigation", { name: "Conversations" });
const row = (page: Page, name: string | RegExp) =>
  list(page).getByRole("link", { name: typeof name === "string" ? new RegExp(name) : name });
const details = (page: Page) => page.getByRole("complementary", { name: "Conversation details" });
const messages = (page: Page) => page.getByRole("log", { name: "Messages" });
const composer = (page: Page) => page.getByRole("textbox", { name: "Message", exact: true });
const picker = (page: Page) => page.getByRole("region", { name: "Send a template" });

async function open(page: Page, name: string): Promise<string> {
  await row(page, name).first().click();
  await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
  return (await row(page, name).first().getAttribute("data-thread-id"))!;
}

function bubble(page: Page, text: string): Locator {
  return messages(page).locator("li[data-message-id]", { hasText: text });
}

async function shot(page: Page, file: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, file) });
}

let agent1: Agent;
let agent2: Agent;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  agent1 = await signIn(browser, "agent1@demo.test");
  agent2 = await signIn(browser, "agent2@demo.test");
});

test.afterAll(async () => {
  await agent1?.context.close();
  await agent2?.context.close();
});

test("(5) a window expiring while the thread is open flips the composer to the template picker, without a reload", async () => {
  test.setTimeout(150_000);
  const page = agent1.page;
  // The seed's Carla Mendes thread closes ~90 s after the app started. If this
  // machine was slower than that, a customer writes a message dated 23h59m30s ago instead.
  let name = "Carla Mendes";
  await expect(row(page, name)).toBeVisible();
  const label = (await row(page, name).textContent()) ?? "";
  const m = /closes in (\d+)(s|m)/.exec(label);
  const leftSeconds = m ? Number(m[1]) * (m[2] === "m" ? 60 : 1) : 0;
  if (leftSeconds < 20) {
    name = `Late Window ${Date.now().toString(36)}`;
    const res = await page.request.post(`${SIM}/_sim/inbound`, {
      data: {
        from: `5511977${String(Date.now()).slice(-6)}`,
        name,
        text: "Is my order on its way?",
        timestamp: Math.floor(Date.now() / 1000) - 24 * 3600 + 40,
        phone_number_id: "100000000000001",
      },
    });
    expect(res.ok()).toBeTruthy();
    await expect(row(page, name)).toBeVisible();
  }
  await open(page, name);
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
  await expect(composer(page)).toBeVisible();
  await expect(picker(page)).toHaveCount(0);
  // The countdown runs down to the second, then the composer locks and the picker takes its place.
  await expect(page.getByText("The 24-hour window is closed — free text is locked.")).toBeVisible({
    timeout: 120_000,
  });
  await expect(picker(page)).toBeVisible();
  await expect(composer(page)).toHaveCount(0);
  await expect(row(page, name).getByText("window closed")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(
    true,
  );
});

test("(1–3) a customer's thread appears live for both agents; one claims it, the other is refused; the reply reaches the phone and is read", async ({
  browser,
}) => {
  const suffix = Date.now().toString(36);
  const name = `Customer ${suffix}`;
  const number = `55119${String(Date.now()).slice(-8)}`;

  // (1) The customer writes on the simulator's phone.
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await phone.goto(`${SIM}/phone`);
  await phone.getByLabel("Customer number").fill(number);
  await phone.getByLabel("Customer name").fill(name);
  await phone.getByLabel("Message", { exact: true }).fill("Hello! Where is my order?");
  await phone.getByRole("button", { name: "Send", exact: true }).click();

  for (const { page } of [agent1, agent2]) {
    await expect(row(page, name)).toBeVisible({ timeout: 20_000 });
    await expect(row(page, name)).toContainText(/24h left|23h 59m left/);
    await expect(row(page, name)).toContainText("Hello! Where is my order?");
  }

  // Both open it; each sees the other viewing.
  const threadId = await open(agent1.page, name);
  await open(agent2.page, name);
  await expect(agent2.page.getByText("Ana Agent is viewing")).toBeVisible();
  await expect(agent1.page.getByText("Bruno Agent is viewing")).toBeVisible();
  await expect(details(agent1.page)).toContainText("Wrote directly");

  // (2) agent1 claims; agent2 sees the assignee change live.
  await details(agent1.page).getByRole("button", { name: "Assign to me" }).click();
  await expect(details(agent1.page)).toContainText("Assigned to Ana Agent");
  await expect(details(agent2.page)).toContainText("Assigned to Ana Agent");
  await expect(details(agent2.page).getByRole("button", { name: "Assign to me" })).toHaveCount(0);
  // A claim from agent2's stale screen (sent as the page would) is refused, naming the winner.
  const refused = await agent2.page.evaluate(async (id) => {
    const res = await fetch(`/api/inbox/threads/${id}/claim`, { method: "POST" });
    return { status: res.status, body: await res.json() };
  }, threadId);
  expect(refused.status).toBe(409);
  expect(refused.body.error).toBe("conflict");
  expect(refused.body.message).toContain("Ana Agent");

  // agent2 sees agent1 typing.
  await composer(agent1.page).fill("Let me check");
  await expect(agent2.page.getByText("Ana Agent is typing…")).toBeVisible();

  // (3) agent1 replies (Enter sends); the phone receives it; the ticks advance to read.
  const reply = `Your order ships today (${suffix})`;
  await composer(agent1.page).fill(reply);
  await composer(agent1.page).press("Enter");
  await expect(bubble(agent1.page, reply)).toBeVisible();
  await expect(phone.getByRole("log", { name: "Conversation" })).toContainText(reply, { timeout: 20_000 });
  await expect(bubble(agent1.page, reply).getByRole("img", { name: "Read" })).toBeVisible({
    timeout: 30_000,
  });
  await expect(bubble(agent2.page, reply)).toBeVisible();
  await expect(bubble(agent2.page, reply).getByRole("img", { name: "Read" })).toBeVisible({
    timeout: 30_000,
  });

  await shot(agent1.page, "inbox.png");
  await phoneContext.close();
});

test("(4) a closed window locks the composer; the picker sends a template with its parameters", async () => {
  const page = agent1.page;
  await open(page, "Pedro Santos");
  await expect(page.getByText("The 24-hour window is closed — free text is locked.")).toBeVisible();
  await expect(composer(page)).toHaveCount(0);
  await expect(picker(page)).toBeVisible();
  // Only APPROVED templates: the pending and rejected seeds are absent.
  await expect(picker(page).getByRole("button", { name: /black_friday_teaser/ })).toHaveCount(0);
  await expect(picker(page).getByRole("button", { name: /win_back_offer/ })).toHaveCount(0);
  await picker(page).getByLabel("Search templates").fill("order");
  const tpl = picker(page).getByRole("button", { name: /order_update/ });
  await expect(tpl).toContainText("opens a utility conversation: US$0.0080");
  await tpl.click();
  await picker(page).getByLabel("Value for {{1}}", { exact: true }).fill("Pedro");
  await picker(page).getByLabel("Value for {{2}}", { exact: true }).fill("#2048");
  await picker(page).getByLabel("Value for {{3}}", { exact: true }).fill("on Friday");
  const text = "Hello Pedro, your order #2048 has shipped and arrives on Friday.";
  await expect(picker(page).getByRole("figure", { name: "Preview" })).toContainText(text);
  await shot(page, "picker.png");
  await picker(page).getByRole("button", { name: "Send template" }).click();
  await expect(bubble(page, text)).toBeVisible();
  await expect(bubble(page, text)).toContainText("Template · order_update");
  await expect(bubble(page, text).getByRole("img", { name: /Sent|Delivered|Read/ })).toBeVisible({
    timeout: 20_000,
  });
  // Still locked: a template does not open the window; only the customer can.
  await expect(composer(page)).toHaveCount(0);
});

test("(6) free text to a closed thread is refused by the server even from a tampered page", async () => {
  const page = agent1.page;
  const threadId = await open(page, "Pedro Santos");
  const result = await page.evaluate(async (id) => {
    const res = await fetch(`/api/inbox/threads/${id}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        input: { type: "text", text: "sneaky free text" },
        clientId: crypto.randomUUID(),
      }),
    });
    return { status: res.status, body: await res.json() };
  }, threadId);
  expect(result.status).toBe(422);
  expect(result.body.error).toBe("window_closed");
  expect(result.body.closedAt).toBeTruthy();
  await expect(bubble(page, "sneaky free text")).toHaveCount(0);
});

test("two agents claiming the same thread at once: exactly one wins, the other is told", async () => {
  const name = "João Pereira";
  await open(agent1.page, name);
  await open(agent2.page, name);
  const claim1 = details(agent1.page).getByRole("button", { name: "Assign to me" });
  const claim2 = details(agent2.page).getByRole("button", { name: "Assign to me" });
  await expect(claim1).toBeVisible();
  await expect(claim2).toBeVisible();
  // A click that lands after the live update hid the button is fine: that agent simply saw it taken.
  await Promise.all([
    claim1.click({ timeout: 5_000 }).catch(() => {}),
    claim2.click({ timeout: 5_000 }).catch(() => {}),
  ]);
  const won = (p: Page) => details(p).getByText(/Assigned to (Ana|Bruno) Agent/);
  await expect(won(agent1.page)).toBeVisible();
  await expect(won(agent2.page)).toBeVisible();
  const holder1 = await won(agent1.page).textContent();
  const holder2 = await won(agent2.page).textContent();
  expect(holder1?.replace(" (You)", "")).toBe(holder2?.replace(" (You)", ""));
  // The loser got an explanation (unless its click landed after the live update hid the button).
  const conflicts = await Promise.all(
    [agent1.page, agent2.page].map((p) => p.getByRole("alert").filter({ hasText: "Already taken" }).count()),
  );
  expect(conflicts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
});

test("(7) an agent who is not a member of an inbox cannot open its threads by URL", async () => {
  // agent1 is a member of Sales; agent2 is not.
  const salesThreadId = await row(agent1.page, "Gustavo Alves").first().getAttribute("data-thread-id");
  expect(salesThreadId).toBeTruthy();
  await expect(row(agent2.page, "Gustavo Alves")).toHaveCount(0);

  const response = await agent2.page.goto(`/inbox/${salesThreadId}`);
  expect(response?.status()).toBe(404);
  await expect(agent2.page.getByRole("heading", { name: "Conversation not found" })).toBeVisible();
  await expect(agent2.page.getByText("I'd like a quote for 200 units.")).toHaveCount(0);

  const api = await agent2.page.evaluate(
    async (id) => (await fetch(`/api/inbox/threads/${id}`)).status,
    salesThreadId,
  );
  expect(api).toBe(404);
});

test("sign-in refuses wrong passwords clearly, locks an email after 5 failures, and APIs need a session", async ({
  browser,
  request,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/login/);
  const submit = page.getByRole("button", { name: "Sign in" });
  // One attempt at a time: the form resets when each sign-in action completes.
  const attempt = async (password: string) => {
    await expect(submit).toBeEnabled();
    await page.getByLabel("Email", { exact: true }).fill("supervisor@demo.test");
    await page.getByLabel("Password", { exact: true }).fill(password);
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"),
      submit.click(),
    ]);
    await expect(submit).toBeEnabled();
  };
  for (let i = 0; i < 5; i++) {
    await attempt(`wrong-${i}`);
    await expect(page.getByText("Wrong email or password.")).toBeVisible();
  }
  await attempt(PASSWORD);
  await expect(
    page.getByText(/Too many failed attempts for this email\. Try again in \d+ min\./),
  ).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  await context.close();

  const res = await request.get("/api/inbox/threads");
  expect(res.status()).toBe(401);
  expect((await res.json()).error).toBe("unauthorized");
});
