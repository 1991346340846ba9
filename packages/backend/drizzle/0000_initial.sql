CREATE TYPE "public"."acquisitionstatus" AS ENUM('planned', 'started', 'completed', 'paused', 'abandoned');--> statement-breakpoint
CREATE TYPE "public"."foilholestatus" AS ENUM('none', 'micrographs detected');--> statement-breakpoint
CREATE TYPE "public"."gridsquarestatus" AS ENUM('none', 'foil holes decision started', 'foil holes decision completed');--> statement-breakpoint
CREATE TYPE "public"."gridstatus" AS ENUM('none', 'scan started', 'scan completed', 'grid squares decision started', 'grid squares decision completed');--> statement-breakpoint
CREATE TYPE "public"."micrographstatus" AS ENUM('none', 'motion correction started', 'motion correction completed', 'ctf started', 'ctf completed', 'particle picking started', 'particle picking completed', 'particle selection started', 'particle selection completed');--> statement-breakpoint
CREATE TABLE "acquisition" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"id" varchar,
	"name" varchar DEFAULT 'Unknown' NOT NULL,
	"status" "acquisitionstatus",
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"paused_time" timestamp with time zone,
	"storage_path" varchar,
	"atlas_path" varchar,
	"clustering_mode" varchar,
	"clustering_radius" varchar,
	"instrument_model" varchar,
	"instrument_id" varchar,
	"computer_name" varchar
);
--> statement-breakpoint
CREATE TABLE "atlas" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"atlas_id" varchar DEFAULT '' NOT NULL,
	"grid_uuid" varchar,
	"acquisition_date" timestamp with time zone,
	"storage_folder" varchar,
	"description" varchar,
	"name" varchar DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "atlastile" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"atlas_uuid" varchar,
	"tile_id" varchar DEFAULT '' NOT NULL,
	"position_x" integer,
	"position_y" integer,
	"size_x" integer,
	"size_y" integer,
	"file_format" varchar,
	"base_filename" varchar
);
--> statement-breakpoint
CREATE TABLE "atlastilegridsquareposition" (
	"atlastile_uuid" varchar NOT NULL,
	"gridsquare_uuid" varchar NOT NULL,
	"center_x" integer NOT NULL,
	"center_y" integer NOT NULL,
	"size_width" integer NOT NULL,
	"size_height" integer NOT NULL,
	CONSTRAINT "atlastilegridsquareposition_atlastile_uuid_gridsquare_uuid_pk" PRIMARY KEY("atlastile_uuid","gridsquare_uuid")
);
--> statement-breakpoint
CREATE TABLE "foilhole" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"foilhole_id" varchar DEFAULT '' NOT NULL,
	"gridsquare_uuid" varchar,
	"gridsquare_id" varchar,
	"status" "foilholestatus",
	"center_x" double precision,
	"center_y" double precision,
	"quality" double precision,
	"rotation" double precision,
	"size_width" double precision,
	"size_height" double precision,
	"x_location" integer,
	"y_location" integer,
	"x_stage_position" double precision,
	"y_stage_position" double precision,
	"diameter" integer,
	"is_near_grid_bar" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grid" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"acquisition_uuid" varchar,
	"status" "gridstatus",
	"name" varchar NOT NULL,
	"data_dir" varchar,
	"atlas_dir" varchar,
	"scan_start_time" timestamp with time zone,
	"scan_end_time" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "gridsquare" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"grid_uuid" varchar,
	"status" "gridsquarestatus",
	"gridsquare_id" varchar DEFAULT '' NOT NULL,
	"data_dir" varchar,
	"atlas_node_id" integer,
	"state" varchar,
	"rotation" double precision,
	"image_path" varchar,
	"selected" boolean,
	"unusable" boolean,
	"stage_position_x" double precision,
	"stage_position_y" double precision,
	"stage_position_z" double precision,
	"center_x" integer,
	"center_y" integer,
	"physical_x" double precision,
	"physical_y" double precision,
	"size_width" integer,
	"size_height" integer,
	"acquisition_datetime" timestamp with time zone,
	"defocus" double precision,
	"magnification" double precision,
	"pixel_size" double precision,
	"detector_name" varchar,
	"applied_defocus" double precision
);
--> statement-breakpoint
CREATE TABLE "micrograph" (
	"uuid" varchar PRIMARY KEY NOT NULL,
	"micrograph_id" varchar DEFAULT '' NOT NULL,
	"foilhole_uuid" varchar,
	"foilhole_id" varchar DEFAULT '' NOT NULL,
	"location_id" varchar,
	"status" "micrographstatus",
	"high_res_path" varchar,
	"manifest_file" varchar,
	"acquisition_datetime" timestamp with time zone,
	"defocus" double precision,
	"detector_name" varchar,
	"energy_filter" boolean,
	"phase_plate" boolean,
	"image_size_x" integer,
	"image_size_y" integer,
	"binning_x" integer,
	"binning_y" integer,
	"total_motion" double precision,
	"average_motion" double precision,
	"ctf_max_resolution_estimate" double precision,
	"number_of_particles_selected" integer,
	"number_of_particles_rejected" integer,
	"selection_distribution" varchar,
	"number_of_particles_picked" integer,
	"pick_distribution" varchar
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "qualityprediction" (
	"id" serial PRIMARY KEY NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"value" double precision NOT NULL,
	"prediction_model_name" varchar NOT NULL,
	"foilhole_uuid" varchar,
	"gridsquare_uuid" varchar
);
--> statement-breakpoint
CREATE TABLE "qualitypredictionmodel" (
	"name" varchar PRIMARY KEY NOT NULL,
	"description" varchar DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "qualitypredictionmodelparameter" (
	"id" serial PRIMARY KEY NOT NULL,
	"grid_uuid" varchar NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"prediction_model_name" varchar NOT NULL,
	"key" varchar NOT NULL,
	"value" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "qualitypredictionmodelweight" (
	"id" serial PRIMARY KEY NOT NULL,
	"grid_uuid" varchar NOT NULL,
	"micrograph_uuid" varchar,
	"micrograph_quality" boolean,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"origin" varchar,
	"prediction_model_name" varchar NOT NULL,
	"weight" double precision NOT NULL
);
--> statement-breakpoint
ALTER TABLE "atlas" ADD CONSTRAINT "atlas_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "atlastile" ADD CONSTRAINT "atlastile_atlas_uuid_atlas_uuid_fk" FOREIGN KEY ("atlas_uuid") REFERENCES "public"."atlas"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "atlastilegridsquareposition" ADD CONSTRAINT "atlastilegridsquareposition_atlastile_uuid_atlastile_uuid_fk" FOREIGN KEY ("atlastile_uuid") REFERENCES "public"."atlastile"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "atlastilegridsquareposition" ADD CONSTRAINT "atlastilegridsquareposition_gridsquare_uuid_gridsquare_uuid_fk" FOREIGN KEY ("gridsquare_uuid") REFERENCES "public"."gridsquare"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "foilhole" ADD CONSTRAINT "foilhole_gridsquare_uuid_gridsquare_uuid_fk" FOREIGN KEY ("gridsquare_uuid") REFERENCES "public"."gridsquare"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grid" ADD CONSTRAINT "grid_acquisition_uuid_acquisition_uuid_fk" FOREIGN KEY ("acquisition_uuid") REFERENCES "public"."acquisition"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gridsquare" ADD CONSTRAINT "gridsquare_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "micrograph" ADD CONSTRAINT "micrograph_foilhole_uuid_foilhole_uuid_fk" FOREIGN KEY ("foilhole_uuid") REFERENCES "public"."foilhole"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualityprediction" ADD CONSTRAINT "qualityprediction_prediction_model_name_qualitypredictionmodel_name_fk" FOREIGN KEY ("prediction_model_name") REFERENCES "public"."qualitypredictionmodel"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualityprediction" ADD CONSTRAINT "qualityprediction_foilhole_uuid_foilhole_uuid_fk" FOREIGN KEY ("foilhole_uuid") REFERENCES "public"."foilhole"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualityprediction" ADD CONSTRAINT "qualityprediction_gridsquare_uuid_gridsquare_uuid_fk" FOREIGN KEY ("gridsquare_uuid") REFERENCES "public"."gridsquare"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualitypredictionmodelparameter" ADD CONSTRAINT "qualitypredictionmodelparameter_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualitypredictionmodelparameter" ADD CONSTRAINT "qualitypredictionmodelparameter_prediction_model_name_qualitypredictionmodel_name_fk" FOREIGN KEY ("prediction_model_name") REFERENCES "public"."qualitypredictionmodel"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualitypredictionmodelweight" ADD CONSTRAINT "qualitypredictionmodelweight_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualitypredictionmodelweight" ADD CONSTRAINT "qualitypredictionmodelweight_micrograph_uuid_micrograph_uuid_fk" FOREIGN KEY ("micrograph_uuid") REFERENCES "public"."micrograph"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "qualitypredictionmodelweight" ADD CONSTRAINT "qualitypredictionmodelweight_prediction_model_name_qualitypredictionmodel_name_fk" FOREIGN KEY ("prediction_model_name") REFERENCES "public"."qualitypredictionmodel"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_acquisition_name" ON "acquisition" USING btree ("name");--> statement-breakpoint
CREATE INDEX "idx_atlas_grid_uuid" ON "atlas" USING btree ("grid_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_atlas_natural_id" ON "atlas" USING btree ("grid_uuid","atlas_id") WHERE atlas_id <> '';--> statement-breakpoint
CREATE INDEX "idx_atlastile_atlas_uuid" ON "atlastile" USING btree ("atlas_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_atlastile_natural_id" ON "atlastile" USING btree ("atlas_uuid","tile_id") WHERE tile_id <> '';--> statement-breakpoint
CREATE INDEX "idx_atlastilegridsquareposition_gridsquare" ON "atlastilegridsquareposition" USING btree ("gridsquare_uuid");--> statement-breakpoint
CREATE INDEX "idx_foilhole_gridsquare_uuid" ON "foilhole" USING btree ("gridsquare_uuid");--> statement-breakpoint
CREATE INDEX "idx_foilhole_quality" ON "foilhole" USING btree ("quality");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_foilhole_natural_id" ON "foilhole" USING btree ("gridsquare_uuid","foilhole_id") WHERE foilhole_id <> '';--> statement-breakpoint
CREATE INDEX "idx_grid_acquisition_uuid" ON "grid" USING btree ("acquisition_uuid");--> statement-breakpoint
CREATE INDEX "idx_grid_name" ON "grid" USING btree ("name");--> statement-breakpoint
CREATE INDEX "idx_gridsquare_grid_uuid" ON "gridsquare" USING btree ("grid_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_gridsquare_natural_id" ON "gridsquare" USING btree ("grid_uuid","gridsquare_id") WHERE gridsquare_id <> '';--> statement-breakpoint
CREATE INDEX "idx_micrograph_foilhole_uuid" ON "micrograph" USING btree ("foilhole_uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_micrograph_natural_id" ON "micrograph" USING btree ("foilhole_uuid","micrograph_id") WHERE micrograph_id <> '';--> statement-breakpoint
CREATE INDEX "idx_outbox_unpublished" ON "outbox" USING btree ("id") WHERE published_at IS NULL;--> statement-breakpoint
CREATE INDEX "idx_quality_prediction_model_foilhole" ON "qualityprediction" USING btree ("prediction_model_name","foilhole_uuid");--> statement-breakpoint
CREATE INDEX "idx_quality_prediction_model_gridsquare" ON "qualityprediction" USING btree ("prediction_model_name","gridsquare_uuid");--> statement-breakpoint
CREATE INDEX "idx_quality_prediction_foilhole_uuid" ON "qualityprediction" USING btree ("foilhole_uuid");--> statement-breakpoint
CREATE INDEX "idx_quality_prediction_gridsquare_uuid" ON "qualityprediction" USING btree ("gridsquare_uuid");--> statement-breakpoint
CREATE INDEX "idx_quality_model_param_composite" ON "qualitypredictionmodelparameter" USING btree ("grid_uuid","prediction_model_name");--> statement-breakpoint
CREATE INDEX "idx_quality_model_param_model_name" ON "qualitypredictionmodelparameter" USING btree ("prediction_model_name");--> statement-breakpoint
CREATE INDEX "idx_quality_model_weight_grid_model" ON "qualitypredictionmodelweight" USING btree ("grid_uuid","prediction_model_name");--> statement-breakpoint
CREATE INDEX "idx_quality_model_weight_micrograph_model" ON "qualitypredictionmodelweight" USING btree ("micrograph_uuid","prediction_model_name");--> statement-breakpoint
CREATE INDEX "idx_quality_model_weight_model_name" ON "qualitypredictionmodelweight" USING btree ("prediction_model_name");