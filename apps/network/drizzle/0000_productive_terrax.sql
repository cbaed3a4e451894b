CREATE TABLE "network"."ip_allocations" (
	"subnet_id" text NOT NULL,
	"ip_address" "inet" NOT NULL,
	"port_id" text NOT NULL,
	"network_id" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "ip_allocations_subnet_id_ip_address_pk" PRIMARY KEY("subnet_id","ip_address")
);
--> statement-breakpoint
CREATE TABLE "network"."networks" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"external" boolean DEFAULT false NOT NULL,
	"mtu" integer NOT NULL,
	"port_security_enabled" boolean DEFAULT true NOT NULL,
	"network_type" text NOT NULL,
	"physical_network" text,
	"segmentation_id" integer,
	"availability_zone_hints" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network"."port_security_groups" (
	"port_id" text NOT NULL,
	"security_group_id" text NOT NULL,
	CONSTRAINT "port_security_groups_port_id_security_group_id_pk" PRIMARY KEY("port_id","security_group_id")
);
--> statement-breakpoint
CREATE TABLE "network"."ports" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"network_id" text NOT NULL,
	"mac_address" text NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'DOWN' NOT NULL,
	"device_id" text DEFAULT '' NOT NULL,
	"device_owner" text DEFAULT '' NOT NULL,
	"port_security_enabled" boolean DEFAULT true NOT NULL,
	"allowed_address_pairs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"binding_host_id" text DEFAULT '' NOT NULL,
	"binding_profile" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"binding_vnic_type" text DEFAULT 'normal' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network"."quotas" (
	"project_id" text NOT NULL,
	"resource" text NOT NULL,
	"limit" integer NOT NULL,
	CONSTRAINT "quotas_project_id_resource_pk" PRIMARY KEY("project_id","resource")
);
--> statement-breakpoint
CREATE TABLE "network"."subnets" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"network_id" text NOT NULL,
	"ip_version" integer NOT NULL,
	"cidr" text NOT NULL,
	"gateway_ip" text,
	"enable_dhcp" boolean DEFAULT true NOT NULL,
	"ipv6_ra_mode" text,
	"ipv6_address_mode" text,
	"dns_nameservers" text[] DEFAULT '{}'::text[] NOT NULL,
	"host_routes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"allocation_pools" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"ipam_cursor" "inet"
);
--> statement-breakpoint
CREATE TABLE "network"."security_group_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"security_group_id" text NOT NULL,
	"direction" text NOT NULL,
	"ethertype" text NOT NULL,
	"protocol" text,
	"port_range_min" integer,
	"port_range_max" integer,
	"remote_ip_prefix" text,
	"normalized_cidr" text,
	"remote_group_id" text
);
--> statement-breakpoint
CREATE TABLE "network"."security_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stateful" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network"."floating_ips" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"floating_network_id" text NOT NULL,
	"floating_port_id" text NOT NULL,
	"floating_ip_address" text NOT NULL,
	"port_id" text,
	"fixed_ip_address" text,
	"router_id" text
);
--> statement-breakpoint
CREATE TABLE "network"."router_ports" (
	"port_id" text PRIMARY KEY NOT NULL,
	"router_id" text NOT NULL,
	"network_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network"."routers" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"revision_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"gw_network_id" text,
	"gw_port_id" text,
	"enable_snat" boolean DEFAULT true NOT NULL,
	"routes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"availability_zone_hints" text[] DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "network"."ip_allocations" ADD CONSTRAINT "ip_allocations_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "network"."subnets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."ip_allocations" ADD CONSTRAINT "ip_allocations_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "network"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."port_security_groups" ADD CONSTRAINT "port_security_groups_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "network"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."ports" ADD CONSTRAINT "ports_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "network"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."subnets" ADD CONSTRAINT "subnets_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "network"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."security_group_rules" ADD CONSTRAINT "security_group_rules_security_group_id_security_groups_id_fk" FOREIGN KEY ("security_group_id") REFERENCES "network"."security_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network"."router_ports" ADD CONSTRAINT "router_ports_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "network"."routers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ip_allocations_port_idx" ON "network"."ip_allocations" USING btree ("port_id");--> statement-breakpoint
CREATE INDEX "ip_allocations_ip_idx" ON "network"."ip_allocations" USING btree ("ip_address");--> statement-breakpoint
CREATE INDEX "networks_project_idx" ON "network"."networks" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "networks_segment_uq" ON "network"."networks" USING btree ("network_type","segmentation_id");--> statement-breakpoint
CREATE INDEX "networks_name_idx" ON "network"."networks" USING btree ("name");--> statement-breakpoint
CREATE INDEX "port_security_groups_sg_idx" ON "network"."port_security_groups" USING btree ("security_group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ports_mac_uq" ON "network"."ports" USING btree ("network_id","mac_address");--> statement-breakpoint
CREATE INDEX "ports_project_idx" ON "network"."ports" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "ports_device_idx" ON "network"."ports" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "ports_network_idx" ON "network"."ports" USING btree ("network_id","id");--> statement-breakpoint
CREATE INDEX "subnets_network_idx" ON "network"."subnets" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "subnets_project_idx" ON "network"."subnets" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_sg_idx" ON "network"."security_group_rules" USING btree ("security_group_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_remote_idx" ON "network"."security_group_rules" USING btree ("remote_group_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_project_idx" ON "network"."security_group_rules" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "security_groups_project_idx" ON "network"."security_groups" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "security_groups_default_uq" ON "network"."security_groups" USING btree ("project_id") WHERE name = 'default';--> statement-breakpoint
CREATE INDEX "floating_ips_project_idx" ON "network"."floating_ips" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "floating_ips_port_idx" ON "network"."floating_ips" USING btree ("port_id");--> statement-breakpoint
CREATE INDEX "floating_ips_router_idx" ON "network"."floating_ips" USING btree ("router_id");--> statement-breakpoint
CREATE UNIQUE INDEX "floating_ips_fixed_uq" ON "network"."floating_ips" USING btree ("port_id","fixed_ip_address");--> statement-breakpoint
CREATE INDEX "router_ports_router_idx" ON "network"."router_ports" USING btree ("router_id");--> statement-breakpoint
CREATE INDEX "router_ports_network_idx" ON "network"."router_ports" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "routers_project_idx" ON "network"."routers" USING btree ("project_id");