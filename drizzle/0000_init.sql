CREATE TABLE "business_phone_numbers" (
	"number" text PRIMARY KEY NOT NULL,
	"business_id" uuid NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "business_phone_numbers_e164_check" CHECK ("business_phone_numbers"."number" ~ '^\+[1-9][0-9]{6,14}$')
);
--> statement-breakpoint
CREATE TABLE "businesses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"trade" text DEFAULT 'general' NOT NULL,
	"greeting" text NOT NULL,
	"after_hours_greeting" text,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"hours" jsonb DEFAULT '{"weekly":{},"holidays":[]}'::jsonb NOT NULL,
	"plan" text DEFAULT 'FREE' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "businesses_plan_check" CHECK ("businesses"."plan" in ('FREE', 'BASIC', 'PRO'))
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "call_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"call_id" uuid NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_status_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "call_status_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"call_id" uuid NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"sequence_number" integer,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"duration_sec" integer,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "call_status_events_dedupe_unique" UNIQUE("call_id","source","sequence_number"),
	CONSTRAINT "call_status_events_source_check" CHECK ("call_status_events"."source" in ('voice-webhook', 'status-callback', 'stream', 'system'))
);
--> statement-breakpoint
CREATE TABLE "call_turns" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "call_turns_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"call_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"speaker" text NOT NULL,
	"text" text NOT NULL,
	"start_offset_ms" integer,
	"end_offset_ms" integer,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"interrupted" boolean DEFAULT false NOT NULL,
	"heard_text" text,
	"latency" jsonb,
	CONSTRAINT "call_turns_call_seq_unique" UNIQUE("call_id","seq"),
	CONSTRAINT "call_turns_speaker_check" CHECK ("call_turns"."speaker" in ('caller', 'agent', 'human_agent'))
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"call_sid" text NOT NULL,
	"business_id" uuid NOT NULL,
	"from_number" text,
	"to_number" text,
	"direction" text NOT NULL,
	"channel" text DEFAULT 'phone' NOT NULL,
	"status" text NOT NULL,
	"status_seq" integer,
	"status_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"duration_sec" integer,
	"recording_path" text,
	"summary" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calls_call_sid_unique" UNIQUE("call_sid"),
	CONSTRAINT "calls_direction_check" CHECK ("calls"."direction" in ('inbound', 'outbound-api', 'outbound-dial')),
	CONSTRAINT "calls_channel_check" CHECK ("calls"."channel" in ('phone', 'whatsapp', 'web', 'chat'))
);
--> statement-breakpoint
ALTER TABLE "business_phone_numbers" ADD CONSTRAINT "business_phone_numbers_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_status_events" ADD CONSTRAINT "call_status_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_turns" ADD CONSTRAINT "call_turns_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "business_phone_numbers_business_idx" ON "business_phone_numbers" USING btree ("business_id");--> statement-breakpoint
CREATE INDEX "call_events_call_idx" ON "call_events" USING btree ("call_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "call_status_events_call_idx" ON "call_status_events" USING btree ("call_id","occurred_at");--> statement-breakpoint
CREATE INDEX "calls_business_started_idx" ON "calls" USING btree ("business_id","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "calls_started_idx" ON "calls" USING btree ("started_at" DESC NULLS LAST,"id" DESC NULLS LAST);