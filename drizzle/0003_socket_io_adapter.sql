CREATE TABLE "socket_io_attachments" (
	"id" bigserial NOT NULL,
	"created_at" timestamp with time zone DEFAULT now(),
	"payload" "bytea",
	CONSTRAINT "socket_io_attachments_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "window_announcements" (
	"thread_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"announced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "window_announcements_thread_id_kind_expires_at_pk" PRIMARY KEY("thread_id","kind","expires_at")
);
--> statement-breakpoint
CREATE INDEX "window_announcements_at_idx" ON "window_announcements" USING btree ("announced_at");