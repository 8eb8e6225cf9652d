CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"party_key" text NOT NULL,
	"call_id" uuid NOT NULL,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"turns" integer DEFAULT 0 NOT NULL,
	"last_inbound_at" timestamp (3) with time zone,
	"last_activity_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp (3) with time zone,
	CONSTRAINT "conversations_channel_check" CHECK ("conversations"."channel" in ('phone', 'whatsapp', 'web', 'chat'))
);
--> statement-breakpoint
CREATE TABLE "rooms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"name" text NOT NULL,
	"agent_enabled" boolean DEFAULT true NOT NULL,
	"recording_enabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp (3) with time zone,
	CONSTRAINT "rooms_name_check" CHECK ("rooms"."name" ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
);
--> statement-breakpoint
ALTER TABLE "outbox" DROP CONSTRAINT "outbox_kind_check";--> statement-breakpoint
ALTER TABLE "businesses" ADD COLUMN "public_key" text DEFAULT ('pk_' || replace(gen_random_uuid()::text, '-', '')) NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rooms" ADD CONSTRAINT "rooms_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_open_party_key" ON "conversations" USING btree ("business_id","channel","party_key") WHERE "conversations"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "conversations_party_idx" ON "conversations" USING btree ("business_id","channel","party_key","last_inbound_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversations_open_activity_idx" ON "conversations" USING btree ("last_activity_at") WHERE "conversations"."ended_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_call_key" ON "conversations" USING btree ("call_id");--> statement-breakpoint
CREATE UNIQUE INDEX "rooms_name_key" ON "rooms" USING btree ("name");--> statement-breakpoint
CREATE INDEX "rooms_business_idx" ON "rooms" USING btree ("business_id","created_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "businesses" ADD CONSTRAINT "businesses_public_key_unique" UNIQUE("public_key");--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_kind_check" CHECK ("outbox"."kind" in ('sms', 'voice-call', 'email', 'slack', 'whatsapp'));