import type { Role } from "@/lib/domain";
import type { Translate } from "@/lib/i18n/translate";

export type NavLink = { href: string; label: string; group?: "admin" };

/** The top bar's links for a role (every page checks the role itself too; links are only a convenience). */
export function navLinks(role: Role, t: Translate): NavLink[] {
  const links: NavLink[] = [{ href: "/inbox", label: t("nav.inbox") }];
  if (role === "admin" || role === "supervisor") {
    links.push(
      { href: "/costs", label: t("nav.costs") },
      { href: "/campaigns", label: t("nav.campaigns") },
      { href: "/admin/templates", label: t("nav.templates") },
    );
  }
  if (role === "admin") {
    links.push(
      { href: "/admin/users", label: t("nav.users"), group: "admin" },
      { href: "/admin/canned-responses", label: t("nav.canned"), group: "admin" },
      { href: "/admin/prices", label: t("nav.prices"), group: "admin" },
      { href: "/admin/settings", label: t("nav.settings"), group: "admin" },
    );
  }
  return links;
}
