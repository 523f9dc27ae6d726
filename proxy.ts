import NextAuth from "next-auth";
import { authConfig } from "@/lib/auth.config";
import { env } from "@/lib/env";

/**
 * Guards every page: no session → /login?callbackUrl=…. Only a first line of
 * defence; every server action and route checks the session and role itself
 * (lib/session.ts).
 */
const { auth } = NextAuth(() => ({ ...authConfig, secret: env().AUTH_SECRET }));

export default auth;

export const config = {
  // Pages only: API routes answer 401 JSON themselves; static files and Socket.IO pass.
  matcher: [
    "/((?!api|_next/static|_next/image|socket\\.io|screenshots|favicon\\.ico|.*\\.(?:png|svg|jpg|ico|mp3)$).*)",
  ],
};
