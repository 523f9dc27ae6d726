CREATE TABLE "billing_messages" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"inbox_id" uuid NOT NULL,
	"waba_id" text NOT NULL,
	"contact_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"sender_user_id" uuid,
	"sent_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone NOT NULL,
	"template" boolean NOT NULL,
	"category" text NOT NULL,
	"pricing_category" text NOT NULL,
	"pmp_type" text NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"cbp_category" text,
	"meta_model" text,
	"meta_category" text,
	"meta_type" text,
	"meta_billable" boolean,
	"meta_conversation_id" text,
	"meta_origin" text,
	"mismatch" text
);
--> statement-breakpoint
ALTER TABLE "billing_messages" ADD CONSTRAINT "billing_messages_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_messages" ADD CONSTRAINT "billing_messages_inbox_id_inboxes_id_fk" FOREIGN KEY ("inbox_id") REFERENCES "public"."inboxes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_messages" ADD CONSTRAINT "billing_messages_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_msg_delivered_idx" ON "billing_messages" USING btree ("delivered_at");--> statement-breakpoint
CREATE INDEX "billing_msg_contact_idx" ON "billing_messages" USING btree ("contact_id","waba_id");--> statement-breakpoint
CREATE INDEX "billing_msg_waba_delivered_idx" ON "billing_messages" USING btree ("waba_id","delivered_at");--> statement-breakpoint
CREATE INDEX "billing_msg_mismatch_idx" ON "billing_messages" USING btree ("delivered_at") WHERE "billing_messages"."mismatch" is not null;--> statement-breakpoint
CREATE INDEX "billing_conv_waba_cat_opened_idx" ON "billing_conversations" USING btree ("waba_id","category","opened_at");--> statement-breakpoint
CREATE INDEX "billing_conv_expires_idx" ON "billing_conversations" USING btree ("expires_at");