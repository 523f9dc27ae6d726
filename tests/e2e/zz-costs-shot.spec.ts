import { test } from "@playwright/test";
test("shots", async ({ browser }) => {
  test.setTimeout(300_000);
  for (const [email, paths] of [["supervisor@demo.test", ["/costs"]], ["admin@demo.test", ["/admin/prices", "/admin/settings"]]] as const) {
    const ctx = await browser.newContext({ baseURL: "http://127.0.0.1:3917", viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("demo1234");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/inbox/);
    for (const p of paths) {
      await page.goto(p);
      await page.waitForTimeout(2000);
      await page.screenshot({ path: `/tmp/costs-e2e/${p.replace(/\//g, "_")}.png`, fullPage: true });
    }
  }
});
