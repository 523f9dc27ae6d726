import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { getDb } from "../db/client";
import { authConfig } from "./auth.config";
import { env } from "./env";
import { verifyCredentials } from "./services/users";

/** Too many failed sign-ins for this email: the login page explains and says when to retry. */
class RateLimitedSignin extends CredentialsSignin {
  code = "rate_limited";
}

/**
 * Auth.js: email + password (bcrypt) against `users`, JWT sessions carrying the
 * user's id, role and name. Configured lazily so `next build` needs no secrets.
 */
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  ...authConfig,
  secret: env().AUTH_SECRET,
  providers: [
    Credentials({
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials) {
        const decision = await verifyCredentials(getDb(), credentials);
        if (decision.ok) {
          const u = decision.user;
          return { id: u.id, email: u.email, name: u.name, role: u.role, locale: u.locale };
        }
        if (decision.reason === "rate_limited") throw new RateLimitedSignin();
        return null;
      },
    }),
  ],
}));
