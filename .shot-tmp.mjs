import { chromium } from "@playwright/test";
const base = process.env.BASE ?? "http://localhost:3104";
const email = process.env.EMAIL ?? "agent1@demo.test";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") console.log("console:", m.type(), m.text().slice(0, 300)); });
page.on("pageerror", (e) => console.log("pageerror:", e.message));
await page.goto(base + "/login");
await page.getByLabel("Email", { exact: true }).fill(email);
await page.getByLabel("Password", { exact: true }).fill(process.env.PASS ?? "demo1234");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/inbox/, { timeout: 60000 }).catch(async () => { console.log("no redirect; url", page.url()); console.log(await page.locator("body").innerText()); });
await page.waitForTimeout(3000);
await page.screenshot({ path: "/tmp/inbox4/inbox.png" });
const target = process.env.THREAD;
if (target) {
  await page.getByRole("link", { name: new RegExp(target) }).first().click();
  await page.waitForTimeout(3000);
  await page.screenshot({ path: "/tmp/inbox4/thread.png" });
}
console.log("url", page.url());
await browser.close();
