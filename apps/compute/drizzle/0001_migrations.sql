CREATE TABLE "compute"."migrations" (
	"id" serial PRIMARY KEY NOT NULL,
	"uuid" uuid NOT NULL,
	"task_id" uuid,
	"server_id" uuid NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"migration_type" text NOT NULL,
	"status" text NOT NULL,
	"source_compute" text,
	"dest_compute" text,
	"old_flavor_id" text,
	"new_flavor_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "migrations_uuid_key" UNIQUE("uuid"),
	CONSTRAINT "migrations_task_key" UNIQUE("task_id")
);
--> statement-breakpoint
CREATE TABLE "compute"."quota_classes" (
	"class_name" text NOT NULL,
	"resource" text NOT NULL,
	"hard_limit" integer NOT NULL,
	CONSTRAINT "quota_classes_class_name_resource_pk" PRIMARY KEY("class_name","resource")
);
--> statement-breakpoint
CREATE INDEX "migrations_server_idx" ON "compute"."migrations" USING btree ("server_id","created_at");