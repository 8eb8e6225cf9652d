ALTER TABLE "outbox" ADD COLUMN "unconfirmed_since" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "emergencies" ADD COLUMN "alarm" text;--> statement-breakpoint
ALTER TABLE "emergencies" ADD COLUMN "alarm_at" timestamp (3) with time zone;