"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { getDb } from "@/db/client";
import { signIn } from "@/lib/auth";
import { credentialsSchema, loginRetryAt } from "@/lib/services/users";

export type LoginState = {
  error?: "invalid" | "invalidInput" | "rateLimited" | "error";
  minutes?: number;
  email?: string;
};

/** Only same-site paths: an open redirect after sign-in would be a phishing aid. */
function safeCallback(v: FormDataEntryValue | null): string {
  const s = typeof v === "string" ? v : "";
  return s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/\\") ? s : "/inbox";
}

/** Signs in with email + password; failures come back as a state the form shows. */
export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  const parsed = credentialsSchema.safeParse({ email: form.get("email"), password: form.get("password") });
  if (!parsed.success) return { error: "invalidInput", email: String(form.get("email") ?? "") };
  const { email, password } = parsed.data;
  try {
    await signIn("credentials", { email, password, redirectTo: safeCallback(form.get("callbackUrl")) });
    return {};
  } catch (err) {
    if (err instanceof CredentialsSignin && err.code === "rate_limited") {
      const retryAt = await loginRetryAt(getDb(), email);
      const minutes = retryAt ? Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 60_000)) : 15;
      return { error: "rateLimited", minutes, email };
    }
    if (err instanceof AuthError)
      return { error: err.type === "CredentialsSignin" ? "invalid" : "error", email };
    throw err; // the redirect after a successful sign-in
  }
}
