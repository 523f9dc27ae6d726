import { afterAll, inject } from "vitest";
import { closeDb } from "../../db/client";
import { resetEnvCache } from "../../lib/env";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.AUTH_SECRET ??= "test-auth-secret-0123456789abcdef";
process.env.WHATSAPP_APP_SECRET ??= "test-app-secret";
process.env.WHATSAPP_VERIFY_TOKEN ??= "test-verify-token";
process.env.LOG_LEVEL ??= "warn";
resetEnvCache();

afterAll(async () => {
  await closeDb();
});
