CREATE TABLE "network"."subnetpool_allocations" (
	"subnet_id" text NOT NULL,
	"subnetpool_id" text NOT NULL,
	"cidr" text NOT NULL,
	CONSTRAINT "subnetpool_allocations_subnet_id_pk" PRIMARY KEY("subnet_id")
);
--> statement-breakpoint
CREATE TABLE "network"."subnetpools" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ip_version" integer NOT NULL,
	"prefixes" text[] NOT NULL,
	"default_prefixlen" integer NOT NULL,
	"min_prefixlen" integer NOT NULL,
	"max_prefixlen" integer NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "network"."subnetpool_allocations" ADD CONSTRAINT "subnetpool_allocations_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "network"."subnets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."subnetpool_allocations" ADD CONSTRAINT "subnetpool_allocations_subnetpool_id_subnetpools_id_fk" FOREIGN KEY ("subnetpool_id") REFERENCES "network"."subnetpools"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "subnetpool_allocations_pool_idx" ON "network"."subnetpool_allocations" USING btree ("subnetpool_id");--> statement-breakpoint
CREATE INDEX "subnetpools_project_idx" ON "network"."subnetpools" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subnetpools_default_uq" ON "network"."subnetpools" USING btree ("ip_version") WHERE "network"."subnetpools"."is_default";