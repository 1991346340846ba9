ALTER TABLE "foilhole" ADD COLUMN "selected" boolean;--> statement-breakpoint
ALTER TABLE "foilhole" ADD COLUMN "state" varchar;--> statement-breakpoint
ALTER TABLE "foilhole" ADD COLUMN "position_quality" double precision;--> statement-breakpoint
ALTER TABLE "foilhole" ADD COLUMN "acquisition_datetime" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gridsquare" ADD COLUMN "atlas_category" integer;--> statement-breakpoint
ALTER TABLE "gridsquare" ADD COLUMN "atlas_quality" double precision;