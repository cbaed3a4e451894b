CREATE TABLE "identity"."domain_configs" (
	"domain_id" text NOT NULL,
	"group" text NOT NULL,
	"option" text NOT NULL,
	"value" jsonb NOT NULL,
	"sensitive" boolean DEFAULT false NOT NULL,
	CONSTRAINT "domain_configs_pk" PRIMARY KEY("domain_id","group","option")
);
--> statement-breakpoint
CREATE TABLE "identity"."endpoint_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"filters" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."oauth_consumers" (
	"id" text PRIMARY KEY NOT NULL,
	"description" text,
	"secret_hash" text NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."policies" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"blob" text NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."project_endpoint_groups" (
	"endpoint_group_id" text NOT NULL,
	"project_id" text NOT NULL,
	CONSTRAINT "project_endpoint_groups_pk" PRIMARY KEY("endpoint_group_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "identity"."project_endpoints" (
	"endpoint_id" text NOT NULL,
	"project_id" text NOT NULL,
	CONSTRAINT "project_endpoints_pk" PRIMARY KEY("endpoint_id","project_id")
);
--> statement-breakpoint
ALTER TABLE "identity"."domain_configs" ADD CONSTRAINT "domain_configs_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "identity"."domains"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."project_endpoint_groups" ADD CONSTRAINT "project_endpoint_groups_endpoint_group_id_endpoint_groups_id_fk" FOREIGN KEY ("endpoint_group_id") REFERENCES "identity"."endpoint_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."project_endpoints" ADD CONSTRAINT "project_endpoints_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "identity"."endpoints"("id") ON DELETE cascade ON UPDATE no action;