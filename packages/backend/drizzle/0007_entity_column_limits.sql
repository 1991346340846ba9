ALTER TABLE "acquisition" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "name" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "name" SET DEFAULT 'Unknown';--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "storage_path" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "atlas_path" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "clustering_mode" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "clustering_radius" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "instrument_model" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "instrument_id" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "acquisition" ALTER COLUMN "computer_name" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "atlas_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "atlas_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "grid_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "storage_folder" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "description" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "name" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlas" ALTER COLUMN "name" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "atlas_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "tile_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "tile_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "file_format" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "atlastile" ALTER COLUMN "base_filename" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "atlastilegridsquareposition" ALTER COLUMN "atlastile_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "atlastilegridsquareposition" ALTER COLUMN "gridsquare_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "foilhole_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "foilhole_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "gridsquare_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "gridsquare_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "foilhole" ALTER COLUMN "state" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "grid" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "grid" ALTER COLUMN "acquisition_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "grid" ALTER COLUMN "name" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "grid" ALTER COLUMN "data_dir" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "grid" ALTER COLUMN "atlas_dir" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "grid_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "gridsquare_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "gridsquare_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "data_dir" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "state" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "image_path" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "gridsquare" ALTER COLUMN "detector_name" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "micrograph_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "micrograph_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "foilhole_uuid" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "foilhole_id" SET DATA TYPE varchar(255);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "foilhole_id" SET DEFAULT '';--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "location_id" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "high_res_path" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "manifest_file" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "detector_name" SET DATA TYPE varchar(4096);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "selection_distribution" SET DATA TYPE varchar(1000000);--> statement-breakpoint
ALTER TABLE "micrograph" ALTER COLUMN "pick_distribution" SET DATA TYPE varchar(1000000);