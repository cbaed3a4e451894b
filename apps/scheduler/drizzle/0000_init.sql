CREATE SCHEMA IF NOT EXISTS "scheduler";
--> statement-breakpoint
CREATE TABLE "scheduler"."aggregate_hosts" (
	"aggregate_id" uuid NOT NULL,
	"provider_id" text NOT NULL,
	CONSTRAINT "aggregate_hosts_aggregate_id_provider_id_pk" PRIMARY KEY("aggregate_id","provider_id")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."aggregates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "aggregates_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."allocations" (
	"consumer_id" uuid NOT NULL,
	"resource_class" text NOT NULL,
	"provider_id" text NOT NULL,
	"amount" integer NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"group_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allocations_consumer_id_resource_class_pk" PRIMARY KEY("consumer_id","resource_class"),
	CONSTRAINT "allocations_amount_check" CHECK ("scheduler"."allocations"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "scheduler"."inventories" (
	"provider_id" text NOT NULL,
	"resource_class" text NOT NULL,
	"total" integer NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"allocation_ratio" double precision DEFAULT 1 NOT NULL,
	"min_unit" integer DEFAULT 1 NOT NULL,
	"max_unit" integer NOT NULL,
	"step_size" integer DEFAULT 1 NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"overridden" boolean DEFAULT false NOT NULL,
	CONSTRAINT "inventories_provider_id_resource_class_pk" PRIMARY KEY("provider_id","resource_class"),
	CONSTRAINT "inventories_used_check" CHECK ("scheduler"."inventories"."used" >= 0),
	CONSTRAINT "inventories_ratio_check" CHECK ("scheduler"."inventories"."allocation_ratio" > 0)
);
--> statement-breakpoint
CREATE TABLE "scheduler"."join_tokens" (
	"hash" text PRIMARY KEY NOT NULL,
	"host_id" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."provider_traits" (
	"provider_id" text NOT NULL,
	"trait" text NOT NULL,
	"custom" boolean DEFAULT false NOT NULL,
	CONSTRAINT "provider_traits_provider_id_trait_pk" PRIMARY KEY("provider_id","trait")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."resource_providers" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"address" text NOT NULL,
	"agent_version" text,
	"hypervisor" text NOT NULL,
	"arch" text NOT NULL,
	"inventory" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"availability_zone" text DEFAULT 'nova' NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "scheduler"."aggregate_hosts" ADD CONSTRAINT "aggregate_hosts_aggregate_id_aggregates_id_fk" FOREIGN KEY ("aggregate_id") REFERENCES "scheduler"."aggregates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."aggregate_hosts" ADD CONSTRAINT "aggregate_hosts_provider_id_resource_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "scheduler"."resource_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."allocations" ADD CONSTRAINT "allocations_provider_id_resource_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "scheduler"."resource_providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."inventories" ADD CONSTRAINT "inventories_provider_id_resource_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "scheduler"."resource_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."provider_traits" ADD CONSTRAINT "provider_traits_provider_id_resource_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "scheduler"."resource_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allocations_provider_idx" ON "scheduler"."allocations" USING btree ("provider_id");--> statement-breakpoint
CREATE INDEX "allocations_group_idx" ON "scheduler"."allocations" USING btree ("group_id");