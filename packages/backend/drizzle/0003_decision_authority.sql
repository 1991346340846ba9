CREATE TABLE "griddecisionauthority" (
	"grid_uuid" varchar PRIMARY KEY NOT NULL,
	"authority" varchar NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "griddecisionauthority" ADD CONSTRAINT "griddecisionauthority_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;