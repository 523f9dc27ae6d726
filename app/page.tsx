import { redirect } from "next/navigation";

/** The app opens on the inbox; proxy.ts sends visitors without a session to /login first. */
export default function Home() {
  redirect("/inbox");
}
