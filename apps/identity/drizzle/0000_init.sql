CREATE SCHEMA IF NOT EXISTS "identity";
--> statement-breakpoint
CREATE TABLE "identity"."application_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"user_id" text NOT NULL,
	"project_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"description" text,
	"expires_at" timestamp with time zone,
	"unrestricted" boolean DEFAULT false NOT NULL,
	"roles" jsonb NOT NULL,
	"access_rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_creds_user_name_key" UNIQUE("user_id","name")
);
--> statement-breakpoint
CREATE TABLE "identity"."assignments" (
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"role_id" text NOT NULL,
	"inherited" boolean DEFAULT false NOT NULL,
	CONSTRAINT "assignments_actor_type_actor_id_target_type_target_id_role_id_inherited_pk" PRIMARY KEY("actor_type","actor_id","target_type","target_id","role_id","inherited")
);
--> statement-breakpoint
CREATE TABLE "identity"."credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"project_id" text,
	"type" text NOT NULL,
	"blob" text NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."domains" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domains_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "identity"."endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"service_id" text NOT NULL,
	"interface" text NOT NULL,
	"url" text NOT NULL,
	"region_id" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."groups" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"domain_id" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "groups_domain_name_key" UNIQUE("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "identity"."implied_roles" (
	"prior_role_id" text NOT NULL,
	"implied_role_id" text NOT NULL,
	CONSTRAINT "implied_roles_prior_role_id_implied_role_id_pk" PRIMARY KEY("prior_role_id","implied_role_id")
);
--> statement-breakpoint
CREATE TABLE "identity"."projects" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"domain_id" text NOT NULL,
	"parent_id" text,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_domain_name_key" UNIQUE("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "identity"."regions" (
	"id" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"parent_region_id" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."revocation_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event" jsonb NOT NULL,
	"issued_before" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."roles" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"domain_id" text,
	"description" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "roles_name_domain_key" UNIQUE NULLS NOT DISTINCT("name","domain_id")
);
--> statement-breakpoint
CREATE TABLE "identity"."services" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"name" text,
	"description" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."user_groups" (
	"user_id" text NOT NULL,
	"group_id" text NOT NULL,
	CONSTRAINT "user_groups_user_id_group_id_pk" PRIMARY KEY("user_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "identity"."users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"domain_id" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"default_project_id" text,
	"description" text,
	"password_hash" text,
	"password_created_at" timestamp with time zone,
	"password_expires_at" timestamp with time zone,
	"failed_auth_count" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_active_at" timestamp with time zone,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_domain_name_key" UNIQUE("domain_id","name")
);
--> statement-breakpoint
ALTER TABLE "identity"."application_credentials" ADD CONSTRAINT "application_credentials_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."assignments" ADD CONSTRAINT "assignments_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "identity"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."credentials" ADD CONSTRAINT "credentials_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."endpoints" ADD CONSTRAINT "endpoints_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "identity"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."groups" ADD CONSTRAINT "groups_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "identity"."domains"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."implied_roles" ADD CONSTRAINT "implied_roles_prior_role_id_roles_id_fk" FOREIGN KEY ("prior_role_id") REFERENCES "identity"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."implied_roles" ADD CONSTRAINT "implied_roles_implied_role_id_roles_id_fk" FOREIGN KEY ("implied_role_id") REFERENCES "identity"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."projects" ADD CONSTRAINT "projects_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "identity"."domains"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."user_groups" ADD CONSTRAINT "user_groups_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."user_groups" ADD CONSTRAINT "user_groups_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "identity"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."users" ADD CONSTRAINT "users_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "identity"."domains"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assignments_actor_idx" ON "identity"."assignments" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "assignments_target_idx" ON "identity"."assignments" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "assignments_role_idx" ON "identity"."assignments" USING btree ("role_id");--> statement-breakpoint
CREATE INDEX "credentials_user_idx" ON "identity"."credentials" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "endpoints_service_idx" ON "identity"."endpoints" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "projects_parent_idx" ON "identity"."projects" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "revocation_events_issued_before_idx" ON "identity"."revocation_events" USING btree ("issued_before");--> statement-breakpoint
CREATE INDEX "user_groups_group_idx" ON "identity"."user_groups" USING btree ("group_id");