CREATE SCHEMA IF NOT EXISTS "compute";
--> statement-breakpoint
CREATE TABLE "compute"."flavor_extra_specs" (
	"flavor_id" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "flavor_extra_specs_flavor_id_key_pk" PRIMARY KEY("flavor_id","key")
);
--> statement-breakpoint
CREATE TABLE "compute"."flavor_projects" (
	"flavor_id" text NOT NULL,
	"project_id" text NOT NULL,
	CONSTRAINT "flavor_projects_flavor_id_project_id_pk" PRIMARY KEY("flavor_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "compute"."flavors" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"vcpus" integer NOT NULL,
	"ram_mb" integer NOT NULL,
	"disk_gb" integer NOT NULL,
	"ephemeral_gb" integer DEFAULT 0 NOT NULL,
	"swap_mb" integer DEFAULT 0 NOT NULL,
	"rxtx_factor" real DEFAULT 1 NOT NULL,
	"is_public" boolean DEFAULT true NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flavors_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "compute"."instance_action_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"action_id" integer NOT NULL,
	"event" text NOT NULL,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"finish_time" timestamp with time zone,
	"result" text,
	"traceback" text,
	"host" text
);
--> statement-breakpoint
CREATE TABLE "compute"."instance_actions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"request_id" text NOT NULL,
	"action" text NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"message" text,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"finish_time" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instance_actions_request_key" UNIQUE("server_id","request_id")
);
--> statement-breakpoint
CREATE TABLE "compute"."keypairs" (
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'ssh' NOT NULL,
	"public_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "keypairs_user_id_name_pk" PRIMARY KEY("user_id","name")
);
--> statement-breakpoint
CREATE TABLE "compute"."quotas" (
	"project_id" text NOT NULL,
	"resource" text NOT NULL,
	"hard_limit" integer NOT NULL,
	CONSTRAINT "quotas_project_id_resource_pk" PRIMARY KEY("project_id","resource")
);
--> statement-breakpoint
CREATE TABLE "compute"."server_groups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"policy" text NOT NULL,
	"rules" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compute"."server_metadata" (
	"server_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "server_metadata_server_id_key_pk" PRIMARY KEY("server_id","key")
);
--> statement-breakpoint
CREATE TABLE "compute"."server_tags" (
	"server_id" uuid NOT NULL,
	"tag" text NOT NULL,
	CONSTRAINT "server_tags_server_id_tag_pk" PRIMARY KEY("server_id","tag")
);
--> statement-breakpoint
CREATE TABLE "compute"."server_tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text NOT NULL,
	"action_id" integer,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compute"."servers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"host" text,
	"flavor" jsonb NOT NULL,
	"old_flavor" jsonb,
	"image_id" text,
	"key_name" text,
	"key_data" text,
	"user_data" text,
	"config_drive" boolean DEFAULT false NOT NULL,
	"availability_zone" text,
	"networks" jsonb DEFAULT '"none"'::jsonb NOT NULL,
	"addresses" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"vm_state" text NOT NULL,
	"task_state" text,
	"power_state" integer DEFAULT 0 NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"locked_by" text,
	"locked_reason" text,
	"fault" jsonb,
	"description" text,
	"hostname" text NOT NULL,
	"access_ipv4" text,
	"access_ipv6" text,
	"disk_config" text DEFAULT 'MANUAL' NOT NULL,
	"reservation_id" text NOT NULL,
	"launch_index" integer DEFAULT 0 NOT NULL,
	"server_group_id" uuid,
	"progress" integer DEFAULT 0 NOT NULL,
	"launched_at" timestamp with time zone,
	"terminated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "compute"."flavor_extra_specs" ADD CONSTRAINT "flavor_extra_specs_flavor_id_flavors_id_fk" FOREIGN KEY ("flavor_id") REFERENCES "compute"."flavors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute"."flavor_projects" ADD CONSTRAINT "flavor_projects_flavor_id_flavors_id_fk" FOREIGN KEY ("flavor_id") REFERENCES "compute"."flavors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute"."instance_action_events" ADD CONSTRAINT "instance_action_events_action_id_instance_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "compute"."instance_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute"."server_metadata" ADD CONSTRAINT "server_metadata_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "compute"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute"."server_tags" ADD CONSTRAINT "server_tags_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "compute"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_action_events_action_idx" ON "compute"."instance_action_events" USING btree ("action_id");--> statement-breakpoint
CREATE INDEX "instance_actions_server_idx" ON "compute"."instance_actions" USING btree ("server_id","start_time");--> statement-breakpoint
CREATE INDEX "server_groups_project_idx" ON "compute"."server_groups" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "server_tags_tag_idx" ON "compute"."server_tags" USING btree ("tag");--> statement-breakpoint
CREATE INDEX "server_tasks_state_idx" ON "compute"."server_tasks" USING btree ("state","created_at") WHERE state IN ('pending', 'running');--> statement-breakpoint
CREATE INDEX "server_tasks_server_idx" ON "compute"."server_tasks" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "servers_project_idx" ON "compute"."servers" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "servers_updated_idx" ON "compute"."servers" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "servers_host_idx" ON "compute"."servers" USING btree ("host");--> statement-breakpoint
CREATE INDEX "servers_reservation_idx" ON "compute"."servers" USING btree ("reservation_id");