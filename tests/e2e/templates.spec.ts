import { type Browser, expect, type Page, test } from "@playwright/test";

/**
 * An admin creates two templates with two variables each; WhatsApp (the app's
 * built-in simulator, ~3 s review) approves them and the list shows it live;
 * the admin hides one from agents; an agent on a closed-window thread finds
 * exactly the visible one in the picker and sends it.
 */

const PASSWORD = "demo1234";

async function signIn(browser: Browser, email: string): Promise<Page> {
  // Contexts made by hand do not inherit the project's `use`: pass the base URL on.
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/inbox/);
  return page;
}

async function createTemplate(page: Page, name: string) {
  await page.goto("/admin/templates/new");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Language", { exact: true }).selectOption("en_US");
  await page.getByLabel("Category", { exact: true }).selectOption("UTILITY");
  await page.getByLabel("Body", { exact: true }).fill("Hi {{1}}, your ticket {{2}} is ready.");
  await page.getByLabel("Example for {{1}}", { exact: true }).fill("Maria");
  await page.getByLabel("Example for {{2}}", { exact: true }).fill("#77");
  await expect(page.getByRole("figure", { name: "Template preview" })).toContainText(
    "Hi Maria, your ticket #77 is ready.",
  );
  await page.getByRole("button", { name: "Submit for review" }).click();
  await page.waitForURL(/\/admin\/templates$/);
}

test("admin creates a template, it is approved live, and an agent sends it on a closed window", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const suffix = Date.now().toString(36);
  const visible = `e2e_ticket_${suffix}`;
  const hidden = `e2e_hidden_${suffix}`;

  const admin = await signIn(browser, "admin@demo.test");

  // Meta's rules are checked beside the field before anything is sent.
  await admin.goto("/admin/templates/new");
  await admin.getByLabel("Name", { exact: true }).fill("Ticket Ready");
  await admin.getByLabel("Name", { exact: true }).blur();
  await expect(
    admin.getByText("Use only lowercase letters, digits and underscores (e.g. order_update)."),
  ).toBeVisible();
  await admin.getByLabel("Body", { exact: true }).fill("{{1}} is ready");
  await admin.getByLabel("Body", { exact: true }).blur();
  await expect(
    admin.getByText("The body cannot start with a variable: put some text before it."),
  ).toBeVisible();

  await createTemplate(admin, visible);
  await createTemplate(admin, hidden);

  const rowOf = (name: string) => admin.locator(`tr[data-template="${name}"]`);
  await expect(rowOf(visible)).toBeVisible();
  // PENDING first, then APPROVED via the status webhook, without a reload.
  await expect(rowOf(visible).getByLabel(/Status: (PENDING|APPROVED)/)).toBeVisible();
  await expect(rowOf(visible).getByLabel("Status: APPROVED", { exact: true })).toBeVisible({
    timeout: 20_000,
  });
  await expect(rowOf(hidden).getByLabel("Status: APPROVED", { exact: true })).toBeVisible({
    timeout: 20_000,
  });

  await admin.getByRole("switch", { name: `Visible to agents: ${hidden}` }).click();
  await expect(admin.getByRole("switch", { name: `Visible to agents: ${hidden}` })).not.toBeChecked();
  // The toggle is saved (a reload shows it off).
  await admin.reload();
  await expect(admin.getByRole("switch", { name: `Visible to agents: ${hidden}` })).not.toBeChecked();

  const agent = await signIn(browser, "agent1@demo.test");
  await agent.getByText("Pedro Santos").first().click();
  const picker = agent.getByRole("region", { name: "Send a template" });
  await expect(picker).toBeVisible({ timeout: 30_000 });
  await picker.getByLabel("Search templates", { exact: true }).fill(`e2e_`);
  await expect(picker.getByRole("button", { name: new RegExp(visible) })).toBeVisible();
  await expect(picker.getByRole("button", { name: new RegExp(hidden) })).toHaveCount(0);

  await picker.getByRole("button", { name: new RegExp(visible) }).click();
  await picker.getByLabel("Value for {{1}}", { exact: true }).fill("Pedro");
  await picker.getByLabel("Value for {{2}}", { exact: true }).fill("#12");
  await picker.getByRole("button", { name: "Send template" }).click();
  await expect(agent.getByText("Hi Pedro, your ticket #12 is ready.").last()).toBeVisible({
    timeout: 15_000,
  });
});
