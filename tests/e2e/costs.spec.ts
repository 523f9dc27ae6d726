import { type Browser, expect, type Page, test } from "@playwright/test";

/**
 * A supervisor opens the costs dashboard on the demo workspace and sees this month's chart and
 * totals (the seed delivered one marketing template, US$0.0625, three hours before it ran; every
 * other seeded conversation is free); the CSV export answers; an agent is refused both.
 */

const PASSWORD = "demo1234";

async function signIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/inbox/);
  return page;
}

/** This month's dashboard — or the last two days when the seed's marketing template fell in the previous month. */
function costsUrl(): string {
  const now = new Date();
  if (now.getUTCDate() === 1 && now.getUTCHours() < 4) {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    return `/costs?period=custom&from=${day(new Date(now.getTime() - 86_400_000))}&to=${day(now)}`;
  }
  return "/costs";
}

test("a supervisor sees the month's costs by category and day; an agent is refused", async ({ browser }) => {
  const supervisor = await signIn(browser, "supervisor@demo.test");
  await supervisor.goto(costsUrl());
  await expect(supervisor.getByRole("heading", { name: "Costs", level: 1 })).toBeVisible();
  await expect(supervisor.getByText("Pricing model in force:")).toContainText("Conversation-based (CBP)");
  await expect(supervisor.getByTestId("total-cost")).toHaveText("US$0.0625");

  // The stacked chart drew the marketing bar.
  const chart = supervisor.getByRole("figure", { name: "Cost per day by category" });
  await expect(chart).toBeVisible();
  await expect(chart.locator(".recharts-bar-rectangle path").first()).toBeVisible();

  // The breakdown by category: one marketing conversation at the seed's price.
  const byCategory = supervisor.getByRole("table", { name: "Cost by category" });
  const marketing = byCategory.getByRole("row").filter({ hasText: "Marketing" });
  await expect(marketing).toContainText("US$0.0625");
  // Sortable: a click on "Category" orders the rows by name.
  await byCategory.getByRole("button", { name: "Category" }).click();
  await expect(byCategory.getByRole("columnheader", { name: "Category" })).toHaveAttribute(
    "aria-sort",
    "ascending",
  );

  // Free tier and the free entry point the seed opened for Luiza Costa.
  await expect(supervisor.getByText(/used · 9\d\d remaining/).first()).toBeVisible();
  await expect(supervisor.getByText(/free entry point windows? running/)).toBeVisible();

  const query = costsUrl().split("?")[1];
  const csv = await supervisor.request.get(`/api/costs/export?kind=summary${query ? `&${query}` : ""}`);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain("category,marketing,marketing,1,1,0,62500,62500,0.062500,USD");

  const agent = await signIn(browser, "agent1@demo.test");
  await agent.goto("/costs");
  await expect(agent.getByRole("heading", { name: "Costs are for supervisors and admins" })).toBeVisible();
  await expect(agent.getByTestId("total-cost")).toHaveCount(0);
  expect((await agent.request.get("/api/costs/export?kind=items")).status()).toBe(403);
});
