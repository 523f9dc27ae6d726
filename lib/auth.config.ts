import type { NextAuthConfig } from "next-auth";
import type { Role } from "./domain";

/**
 * The part of the Auth.js configuration that needs no database: sessions,
 * callbacks and pages. proxy.ts builds its guard from this alone; lib/auth.ts
 * adds the credentials provider (database + bcrypt) on top.
 */
export const authConfig = {
  pages: { signIn: "/login" },
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
  trustHost: true,
  providers: [],
  callbacks: {
    /** proxy.ts: pages need a session; /login is public. API routes answer 401 themselves. */
    authorized({ auth, request: { nextUrl } }) {
      const signedIn = Boolean(auth?.user);
      if (nextUrl.pathname === "/login") {
        if (signedIn) return Response.redirect(new URL("/inbox", nextUrl));
        return true;
      }
      return signedIn;
    },
    jwt({ token, user }) {
      if (user) {
        const u = user as { id?: string; role?: Role; locale?: string };
        token.uid = u.id;
        token.role = u.role;
        token.locale = u.locale;
      }
      return token;
    },
    session({ session, token }) {
      const s = session as unknown as { user: Record<string, unknown> };
      s.user.id = token.uid;
      s.user.role = token.role;
      s.user.locale = token.locale;
      return session;
    },
  },
} satisfies NextAuthConfig;

/**
 * Names of the session cookie: Auth.js prefixes it with __Secure- when the app is
 * served over https. The name is also the salt of the cookie's encryption.
 */
export const SESSION_COOKIE_NAMES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;
