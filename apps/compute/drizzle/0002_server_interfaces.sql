CREATE TABLE "compute"."server_interfaces" (
	"server_id" uuid NOT NULL,
	"port_id" text NOT NULL,
	"network_id" text NOT NULL,
	"mac" text NOT NULL,
	"created_by_nova" boolean NOT NULL,
	"tag" text,
	"position" integer NOT NULL,
	"port_released" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_interfaces_server_id_port_id_pk" PRIMARY KEY("server_id","port_id")
);
--> statement-breakpoint
ALTER TABLE "compute"."servers" ADD COLUMN "security_groups" jsonb DEFAULT '[{"name": "default"}]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "compute"."server_interfaces" ADD CONSTRAINT "server_interfaces_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "compute"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_interfaces_port_idx" ON "compute"."server_interfaces" USING btree ("port_id");