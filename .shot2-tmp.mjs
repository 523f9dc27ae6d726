import { chromium } from "@playwright/test";
const base = "http://localhost:3104";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const ctx = await browser.newContext({ viewport: { width: Number(process.env.W ?? 1280), height: 800 }, colorScheme: process.env.DARK ? "dark" : "light" });
const page = await ctx.newPage();
page.on("pageerror", (e) => console.log("pageerror:", e.message));
page.on("console", (m) => { if (m.type() === "error") console.log("console:", m.text().slice(0, 300)); });
await page.goto(base + "/login", { timeout: 300000 });
await page.getByLabel("Email", { exact: true }).fill(process.env.EMAIL ?? "admin@demo.test");
await page.getByLabel("Password", { exact: true }).fill("demo1234");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/inbox/, { timeout: 300000 });
for (const [i, url] of (process.env.URLS ?? "/inbox").split(",").entries()) {
  await page.goto(base + url, { timeout: 300000 });
  await page.waitForTimeout(4000);
  if (process.env.CLICK) { await page.getByRole("link", { name: new RegExp(process.env.CLICK) }).first().click(); await page.getByRole("log").waitFor({ timeout: 200000 }); await page.waitForTimeout(1500); }
  await page.screenshot({ path: `/tmp/inbox4/p${i}.png`, fullPage: false });
  console.log("shot", i, page.url());
}
await browser.close();
