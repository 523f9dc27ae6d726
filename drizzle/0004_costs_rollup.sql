CREATE TABLE "billing_dirty_days" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"waba_id" text NOT NULL,
	"day" date NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing_rollup" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"model" "pricing_model" NOT NULL,
	"waba_id" text NOT NULL,
	"day" date NOT NULL,
	"inbox_id" uuid NOT NULL,
	"agent_id" uuid,
	"category" text NOT NULL,
	"reason" text,
	"meta_model" text,
	"meta_category" text,
	"meta_type" text,
	"meta_billable" boolean,
	"count" integer NOT NULL,
	"billable" integer NOT NULL,
	"cost_micros" bigint NOT NULL,
	"disagree" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_rollup" ADD CONSTRAINT "billing_rollup_inbox_id_inboxes_id_fk" FOREIGN KEY ("inbox_id") REFERENCES "public"."inboxes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_dirty_days_day_idx" ON "billing_dirty_days" USING btree ("day");--> statement-breakpoint
CREATE INDEX "billing_rollup_day_idx" ON "billing_rollup" USING btree ("day","model");--> statement-breakpoint
CREATE INDEX "billing_rollup_waba_day_idx" ON "billing_rollup" USING btree ("waba_id","day");