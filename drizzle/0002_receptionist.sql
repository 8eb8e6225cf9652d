CREATE TABLE "knowledge_chunks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "knowledge_chunks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"document_id" uuid NOT NULL,
	"business_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"heading" text,
	"text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce("knowledge_chunks"."heading", '') || ' ' || "knowledge_chunks"."text")) STORED NOT NULL,
	"embedding" real[],
	"embedding_model" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "knowledge_chunks_document_ordinal_unique" UNIQUE("document_id","ordinal")
);
--> statement-breakpoint
CREATE TABLE "knowledge_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"title" text NOT NULL,
	"source" text DEFAULT 'text' NOT NULL,
	"origin" text,
	"content" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "knowledge_documents_source_check" CHECK ("knowledge_documents"."source" in ('text', 'markdown', 'html', 'pdf', 'faq'))
);
--> statement-breakpoint
CREATE TABLE "leads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"call_id" uuid,
	"call_sid" text,
	"channel" text,
	"name" text,
	"phone" text,
	"address" text,
	"need" text,
	"urgency" text,
	"email" text,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"complete" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'new' NOT NULL,
	"transcript" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "leads_status_check" CHECK ("leads"."status" in ('new', 'contacted', 'won', 'lost'))
);
--> statement-breakpoint
CREATE TABLE "booking_cells" (
	"business_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"cell_start" timestamp (3) with time zone NOT NULL,
	"booking_id" uuid NOT NULL,
	CONSTRAINT "booking_cells_pkey" PRIMARY KEY("business_id","resource","cell_start")
);
--> statement-breakpoint
CREATE TABLE "bookings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"resource" text DEFAULT 'main' NOT NULL,
	"service_id" text NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'booked' NOT NULL,
	"customer_name" text,
	"customer_phone" text,
	"note" text,
	"call_id" uuid,
	"call_sid" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp (3) with time zone,
	CONSTRAINT "bookings_status_check" CHECK ("bookings"."status" in ('booked', 'cancelled')),
	CONSTRAINT "bookings_ends_after_starts_check" CHECK ("bookings"."ends_at" > "bookings"."starts_at"),
	CONSTRAINT "bookings_on_grid_check" CHECK ((extract(epoch from "bookings"."starts_at")::bigint % 300) = 0 and (extract(epoch from "bookings"."ends_at")::bigint % 300) = 0)
);
--> statement-breakpoint
CREATE TABLE "emergencies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"call_id" uuid,
	"call_sid" text,
	"channel" text,
	"category" text NOT NULL,
	"trigger" text NOT NULL,
	"summary" text NOT NULL,
	"caller_id" text,
	"transcript" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp (3) with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp (3) with time zone,
	CONSTRAINT "emergencies_status_check" CHECK ("emergencies"."status" in ('open', 'acknowledged', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "questions_for_owner" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"business_id" uuid NOT NULL,
	"call_id" uuid,
	"call_sid" text,
	"question" text NOT NULL,
	"transcript" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"answer" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp (3) with time zone,
	CONSTRAINT "questions_for_owner_status_check" CHECK ("questions_for_owner"."status" in ('open', 'answered', 'dismissed'))
);
--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD CONSTRAINT "knowledge_chunks_document_id_knowledge_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."knowledge_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD CONSTRAINT "knowledge_chunks_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD CONSTRAINT "knowledge_documents_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_cells" ADD CONSTRAINT "booking_cells_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_cells" ADD CONSTRAINT "booking_cells_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emergencies" ADD CONSTRAINT "emergencies_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emergencies" ADD CONSTRAINT "emergencies_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions_for_owner" ADD CONSTRAINT "questions_for_owner_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions_for_owner" ADD CONSTRAINT "questions_for_owner_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "knowledge_chunks_search_idx" ON "knowledge_chunks" USING gin ("search");--> statement-breakpoint
CREATE INDEX "knowledge_chunks_business_idx" ON "knowledge_chunks" USING btree ("business_id");--> statement-breakpoint
CREATE INDEX "knowledge_documents_business_idx" ON "knowledge_documents" USING btree ("business_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "leads_business_created_idx" ON "leads" USING btree ("business_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "leads_business_status_idx" ON "leads" USING btree ("business_id","status");--> statement-breakpoint
CREATE INDEX "leads_call_sid_idx" ON "leads" USING btree ("call_sid");--> statement-breakpoint
CREATE UNIQUE INDEX "leads_call_id_unique" ON "leads" USING btree ("call_id") WHERE "leads"."call_id" is not null;--> statement-breakpoint
CREATE INDEX "booking_cells_booking_idx" ON "booking_cells" USING btree ("booking_id");--> statement-breakpoint
CREATE INDEX "bookings_business_starts_idx" ON "bookings" USING btree ("business_id","starts_at");--> statement-breakpoint
CREATE INDEX "bookings_business_phone_idx" ON "bookings" USING btree ("business_id","customer_phone");--> statement-breakpoint
CREATE INDEX "bookings_call_sid_idx" ON "bookings" USING btree ("call_sid");--> statement-breakpoint
CREATE INDEX "emergencies_business_created_idx" ON "emergencies" USING btree ("business_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "emergencies_call_sid_idx" ON "emergencies" USING btree ("call_sid");--> statement-breakpoint
CREATE INDEX "emergencies_open_idx" ON "emergencies" USING btree ("business_id") WHERE "emergencies"."status" = 'open';--> statement-breakpoint
CREATE INDEX "questions_for_owner_business_created_idx" ON "questions_for_owner" USING btree ("business_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "questions_for_owner_call_sid_idx" ON "questions_for_owner" USING btree ("call_sid");--> statement-breakpoint
-- Hand-written (drizzle-kit does not manage triggers): every live booking holds the five-minute
-- cells it covers, whoever writes the row, so an overlapping booking fails on booking_cells_pkey.
CREATE FUNCTION "booking_cells_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM "booking_cells" WHERE "booking_id" = OLD."id";
  END IF;
  IF NEW."status" = 'booked' THEN
    INSERT INTO "booking_cells" ("business_id", "resource", "cell_start", "booking_id")
    SELECT NEW."business_id", NEW."resource", g, NEW."id"
    FROM generate_series(NEW."starts_at", NEW."ends_at" - interval '5 minutes', interval '5 minutes') AS g;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "bookings_cells_sync" AFTER INSERT OR UPDATE OF "starts_at", "ends_at", "status", "resource", "business_id" ON "bookings" FOR EACH ROW EXECUTE FUNCTION "booking_cells_sync"();
