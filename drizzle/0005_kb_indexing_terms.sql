CREATE TABLE "knowledge_terms" (
	"business_id" uuid NOT NULL,
	"lexeme" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "knowledge_terms_business_id_lexeme_pk" PRIMARY KEY("business_id","lexeme")
);
--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "status" text DEFAULT 'ready' NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_terms" ADD CONSTRAINT "knowledge_terms_business_id_businesses_id_fk" FOREIGN KEY ("business_id") REFERENCES "public"."businesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD CONSTRAINT "knowledge_documents_status_check" CHECK ("knowledge_documents"."status" in ('indexing', 'ready'));--> statement-breakpoint
-- Hand-added: the document frequencies of the chunks already stored ('' holds each business's chunk count).
INSERT INTO "knowledge_terms" ("business_id", "lexeme", "df")
SELECT c."business_id", x, count(*)::int FROM "knowledge_chunks" c, unnest(tsvector_to_array(c."search")) AS x GROUP BY 1, 2
UNION ALL
SELECT "business_id", '', count(*)::int FROM "knowledge_chunks" GROUP BY 1;
