DROP INDEX "threads_inbox_status_activity_idx";--> statement-breakpoint
DROP INDEX "threads_assignee_activity_idx";--> statement-breakpoint
CREATE INDEX "threads_activity_idx" ON "threads" USING btree ("last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "threads_inbox_status_activity_idx" ON "threads" USING btree ("inbox_id","status","last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "threads_assignee_activity_idx" ON "threads" USING btree ("assignee_id","last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);