// Named to run after costs.spec.ts and before inbox.spec.ts (one worker, files in name order): a launched
// campaign spends money (costs checks the seed's exact total) and inbox locks supervisor@demo.test (rate-limit test).
import { expect, test } from "@playwright/test";

/**
 * A supervisor builds a campaign from a CSV upload (one bad row), previews its cost, launches it
 * and watches it finish on the simulator, with the engine's actual cost equal to the preview.
 */

const PASSWORD = "demo1234";
const SIM = process.env.E2E_SIMULATOR_URL ?? "http://127.0.0.1:4010";

test("a supervisor previews, launches and watches a campaign whose cost matches its preview", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill("supervisor@demo.test");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/inbox/);

  await page.goto("/campaigns/new");
  const stamp = String(Date.now()).slice(-8);
  const numbers = [1, 2, 3].map((i) => `55219${i}${stamp}`);
  const csv = ["name,phone", ...numbers.map((n, i) => `Customer ${i + 1},+${n}`), "Nobody,12345"].join("\n");

  await page.getByLabel("Name", { exact: true }).fill(`E2E sale ${stamp}`);
  await page.getByLabel("Inbox (business number)").selectOption({ label: "Support (+15550001111)" });
  await page.getByLabel("Approved template").selectOption({ label: "summer_sale · en_US · marketing" });
  await page.getByRole("radio", { name: "CSV upload" }).check();
  await page
    .getByLabel(/CSV file/)
    .setInputFiles({ name: "list.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByText(/3 valid numbers, 1 rows excluded/)).toBeVisible();
  await page.getByLabel("Body {{1}}", { exact: true }).selectOption({ label: "CSV column “name”" });
  await page.getByLabel("Body {{2}}", { exact: true }).selectOption({ label: "Same text for everyone" });
  await page.getByLabel("Body {{2}} text").fill("Friday");
  await expect(page.getByLabel("Message preview")).toContainText(
    "Hi Customer 1, our summer sale ends on Friday.",
  );

  await page.getByRole("button", { name: "Preview cost" }).click();
  const preview = page.getByRole("region", { name: "Cost preview" });
  await expect(preview.getByTestId("preview-opens")).toContainText(
    "Open a new marketing conversation (US$0.0625 each)",
  );
  await expect(preview.getByTestId("preview-opens")).toContainText("3");
  await expect(preview.getByTestId("preview-total")).toHaveText("US$0.1875");
  await expect(preview).toContainText("Invalid numbers: 1");

  await page.getByRole("button", { name: "Launch: send to 3" }).click();
  await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("stat-delivered")).toHaveText("3", { timeout: 60_000 });
  await expect(page.getByTestId("cost-actual")).toHaveText("US$0.1875");
  await expect(page.getByTestId("cost-preview")).toHaveText("US$0.1875");
  await expect(page.getByText("The actual cost matches the preview exactly.")).toBeVisible();

  for (const n of numbers) {
    const res = await page.request.get(`${SIM}/_sim/sent?to=${n}`);
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data).toHaveLength(1);
  }
});
