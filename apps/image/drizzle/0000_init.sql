CREATE SCHEMA IF NOT EXISTS "image";
--> statement-breakpoint
CREATE TABLE "image"."image_members" (
	"image_id" text NOT NULL,
	"member_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "image_members_image_id_member_id_pk" PRIMARY KEY("image_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "image"."images" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"status" text NOT NULL,
	"visibility" text NOT NULL,
	"owner" text,
	"protected" boolean DEFAULT false NOT NULL,
	"os_hidden" boolean DEFAULT false NOT NULL,
	"min_disk" integer DEFAULT 0 NOT NULL,
	"min_ram" integer DEFAULT 0 NOT NULL,
	"disk_format" text,
	"container_format" text,
	"size" bigint,
	"virtual_size" bigint,
	"checksum" text,
	"os_hash_algo" text,
	"os_hash_value" text,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"upload_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "image"."metadef_items" (
	"namespace" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"body" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metadef_items_namespace_kind_name_pk" PRIMARY KEY("namespace","kind","name")
);
--> statement-breakpoint
CREATE TABLE "image"."metadef_namespaces" (
	"namespace" text PRIMARY KEY NOT NULL,
	"display_name" text,
	"description" text,
	"visibility" text DEFAULT 'private' NOT NULL,
	"protected" boolean DEFAULT false NOT NULL,
	"owner" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "image"."image_members" ADD CONSTRAINT "image_members_image_id_images_id_fk" FOREIGN KEY ("image_id") REFERENCES "image"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "image"."metadef_items" ADD CONSTRAINT "metadef_items_namespace_metadef_namespaces_namespace_fk" FOREIGN KEY ("namespace") REFERENCES "image"."metadef_namespaces"("namespace") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "image_members_member_idx" ON "image"."image_members" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "images_owner_idx" ON "image"."images" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "images_created_idx" ON "image"."images" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "images_visibility_idx" ON "image"."images" USING btree ("visibility");