CREATE TABLE "identity"."access_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"service" text NOT NULL,
	"path" text NOT NULL,
	"method" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_rules_user_rule_key" UNIQUE("user_id","service","path","method")
);
--> statement-breakpoint
CREATE TABLE "identity"."application_credential_access_rules" (
	"application_credential_id" text NOT NULL,
	"access_rule_id" text NOT NULL,
	CONSTRAINT "app_cred_access_rules_pk" PRIMARY KEY("application_credential_id","access_rule_id")
);
--> statement-breakpoint
ALTER TABLE "identity"."access_rules" ADD CONSTRAINT "access_rules_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."application_credential_access_rules" ADD CONSTRAINT "app_cred_access_rules_cred_fk" FOREIGN KEY ("application_credential_id") REFERENCES "identity"."application_credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."application_credential_access_rules" ADD CONSTRAINT "app_cred_access_rules_rule_fk" FOREIGN KEY ("access_rule_id") REFERENCES "identity"."access_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_cred_access_rules_rule_idx" ON "identity"."application_credential_access_rules" USING btree ("access_rule_id");--> statement-breakpoint
ALTER TABLE "identity"."application_credentials" DROP COLUMN "access_rules";