import { sql } from "drizzle-orm";

/**
 * SQL condition restricting a worker's claim (rows aliased `c` in `messages`) to some inboxes'
 * threads: a targeted drain, or a test sharing the database with others. No ids = no restriction.
 */
export function inboxScope(inboxIds: readonly string[] | undefined) {
  if (!inboxIds) return sql``;
  return sql`and c.thread_id in (select t.id from threads t where t.inbox_id in (${sql.join(
    inboxIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )}))`;
}
