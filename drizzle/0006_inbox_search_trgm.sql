-- drizzle-kit does not emit extensions: added by hand before the indexes that need it (inbox search).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "contacts_profile_name_trgm_idx" ON "contacts" USING gin ("profile_name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "contacts_wa_id_trgm_idx" ON "contacts" USING gin ("wa_id" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "messages_body_trgm_idx" ON "messages" USING gin ("body" gin_trgm_ops) WHERE "messages"."type" <> 'reaction';--> statement-breakpoint
CREATE INDEX "threads_contact_idx" ON "threads" USING btree ("contact_id");