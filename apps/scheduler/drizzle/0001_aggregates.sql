ALTER TABLE "scheduler"."aggregates" ADD COLUMN "seq" serial NOT NULL;--> statement-breakpoint
ALTER TABLE "scheduler"."aggregates" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "scheduler"."aggregates" ADD CONSTRAINT "aggregates_seq_key" UNIQUE("seq");