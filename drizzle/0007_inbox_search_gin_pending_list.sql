-- drizzle-kit emits DROP INDEX + CREATE INDEX for a change of storage parameters; ALTER INDEX does
-- the same without rebuilding the 0006 indexes (the body index takes ≈10 s at 2M messages).
ALTER INDEX "contacts_profile_name_trgm_idx" SET (fastupdate=false);--> statement-breakpoint
ALTER INDEX "contacts_wa_id_trgm_idx" SET (fastupdate=false);--> statement-breakpoint
ALTER INDEX "messages_body_trgm_idx" SET (gin_pending_list_limit=256);
