import type { Role } from "@/lib/domain";
import type { Translate } from "@/lib/i18n/translate";

/** The top bar's links for a role (pages of other audiences check the role themselves too). */
export function navLinks(role: Role, t: Translate): { href: string; label: string }[] {
  const links = [{ href: "/inbox", label: t("nav.inbox") }];
  if (role === "admin") {
    links.push(
      { href: "/admin/templates", label: t("nav.templates") },
      { href: "/admin/users", label: t("nav.users") },
      { href: "/admin/canned-responses", label: t("nav.canned") },
    );
  }
  return links;
}
