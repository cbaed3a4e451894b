CREATE TABLE "identity"."password_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."trust_roles" (
	"trust_id" text NOT NULL,
	"role_id" text NOT NULL,
	CONSTRAINT "trust_roles_pk" PRIMARY KEY("trust_id","role_id")
);
--> statement-breakpoint
CREATE TABLE "identity"."trusts" (
	"id" text PRIMARY KEY NOT NULL,
	"trustor_user_id" text NOT NULL,
	"trustee_user_id" text NOT NULL,
	"project_id" text,
	"impersonation" boolean NOT NULL,
	"expires_at" timestamp with time zone,
	"remaining_uses" integer,
	"allow_redelegation" boolean DEFAULT false NOT NULL,
	"redelegation_count" integer,
	"redelegated_trust_id" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "identity"."password_history" ADD CONSTRAINT "password_history_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."trust_roles" ADD CONSTRAINT "trust_roles_trust_id_trusts_id_fk" FOREIGN KEY ("trust_id") REFERENCES "identity"."trusts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."trust_roles" ADD CONSTRAINT "trust_roles_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "identity"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "password_history_user_idx" ON "identity"."password_history" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "trusts_trustor_idx" ON "identity"."trusts" USING btree ("trustor_user_id");--> statement-breakpoint
CREATE INDEX "trusts_trustee_idx" ON "identity"."trusts" USING btree ("trustee_user_id");