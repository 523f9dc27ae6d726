import { type Browser, expect, type Page, test } from "@playwright/test";

/**
 * An agent starts a conversation with a new number from an approved template: the dialog
 * validates the number as it is typed, states the engine's cost before sending, and the
 * simulator's customer phone receives the template. A second agent sees the thread appear live.
 */

const PASSWORD = "demo1234";
const SIM = process.env.E2E_SIMULATOR_URL ?? "http://127.0.0.1:4010";

async function signIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/inbox/);
  await expect(page.getByRole("navigation", { name: "Conversations" })).toBeVisible();
  return page;
}

test("an agent starts a conversation with a new number and the customer's phone receives the template", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const agent1 = await signIn(browser, "agent1@demo.test");
  const agent2 = await signIn(browser, "agent2@demo.test");
  // A number nobody has used: 55 + 11 digits.
  const waId = `5511${String(Date.now()).slice(-9)}`;
  const typed = `+55 (11) ${waId.slice(4, 9)}-${waId.slice(9)}`;

  await agent1.getByRole("button", { name: "New conversation" }).click();
  const dialog = agent1.getByRole("dialog", { name: "New conversation" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("From inbox").selectOption({ label: "Support" });

  // Not a phone number: a clear error, and nothing can be sent.
  const to = dialog.getByLabel("To");
  await to.fill("011 5555");
  await expect(dialog.getByText(/international format, starting with the country code/i)).toBeVisible();
  await to.fill(typed);
  await expect(dialog.getByText(`WhatsApp number +${waId}`)).toBeVisible();

  await dialog.getByLabel("Template").selectOption({ label: "order_update · en_US · utility" });
  await expect(dialog.getByTestId("start-effect")).toHaveText("Opens a utility conversation — US$0.0080");
  const send = dialog.getByRole("button", { name: "Send template" });
  await expect(send).toBeDisabled();
  await dialog.getByLabel("{{1}}").fill("Maria");
  await dialog.getByLabel("{{2}}").fill("#2048");
  await dialog.getByLabel("{{3}}").fill("tomorrow");
  await expect(dialog.getByLabel("Message preview")).toContainText(
    "Hello Maria, your order #2048 has shipped and arrives tomorrow.",
  );
  await send.click();

  // The thread opens for the sender, assigned to them…
  await expect(dialog).toBeHidden();
  await agent1.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
  await expect(agent1.getByRole("heading", { level: 2, name: `+${waId}` })).toBeVisible();

  // …appears live for the other agent of the inbox…
  await expect(
    agent2
      .getByRole("navigation", { name: "Conversations" })
      .getByRole("link", { name: new RegExp(`\\+${waId}`) }),
  ).toBeVisible();

  // …and the customer's phone (the simulator) received the template.
  await expect
    .poll(
      async () => {
        const res = await agent1.request.get(`${SIM}/_sim/sent?to=${waId}`);
        const body = (await res.json()) as {
          data: Array<{ type: string; template: { name: string } | null }>;
        };
        return body.data.map((m) => `${m.type}:${m.template?.name ?? ""}`);
      },
      { timeout: 30_000 },
    )
    .toEqual(["template:order_update"]);
});
