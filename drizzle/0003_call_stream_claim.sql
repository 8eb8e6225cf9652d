ALTER TABLE "calls" ADD COLUMN "stream_claimed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "stream_sid" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "node_id" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "last_seen_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "end_reason" text;--> statement-breakpoint
CREATE INDEX "calls_node_open_idx" ON "calls" USING btree ("node_id") WHERE "calls"."ended_at" is null and "calls"."node_id" is not null;