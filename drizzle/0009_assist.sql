CREATE TABLE "assist_suggestions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"call_id" uuid NOT NULL,
	"business_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"intent" text,
	"content" text NOT NULL,
	"confidence" real NOT NULL,
	"priority" text NOT NULL,
	"basis" text NOT NULL,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at_ms" integer NOT NULL,
	"shown_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "assist_suggestions_kind_check" CHECK ("assist_suggestions"."kind" in ('knowledge', 'intent', 'sentiment', 'compliance', 'next-action')),
	CONSTRAINT "assist_suggestions_priority_check" CHECK ("assist_suggestions"."priority" in ('high', 'medium', 'low'))
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "answered_by" text DEFAULT 'ai' NOT NULL;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "assist_claimed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "assist_suggestions" ADD CONSTRAINT "assist_suggestions_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assist_suggestions" ADD CONSTRAINT "assist_suggestions_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assist_suggestions_call_idx" ON "assist_suggestions" USING btree ("call_id","shown_at");--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_answered_by_check" CHECK ("calls"."answered_by" in ('ai', 'human'));