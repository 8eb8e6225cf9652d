ALTER TABLE "knowledge_chunks" ADD COLUMN "embedding_bits" bit varying;--> statement-breakpoint
-- Hand-added: the sign bits of the vectors already stored (as KnowledgeRepo computes them for new chunks).
UPDATE "knowledge_chunks" SET "embedding_bits" = (
  SELECT (string_agg(CASE WHEN e > 0 THEN '1' ELSE '0' END, '' ORDER BY i)
       || string_agg(CASE WHEN e < 0 THEN '1' ELSE '0' END, '' ORDER BY i))::varbit
  FROM unnest("embedding") WITH ORDINALITY AS u(e, i)
) WHERE "embedding" IS NOT NULL;
