CREATE TABLE "gridepudefaultorder" (
	"grid_uuid" varchar PRIMARY KEY NOT NULL,
	"curve" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "gridepudefaultorder" ADD CONSTRAINT "gridepudefaultorder_grid_uuid_grid_uuid_fk" FOREIGN KEY ("grid_uuid") REFERENCES "public"."grid"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE FUNCTION "smartem_live_event_from_epu_default_order"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "live_event" ("event_type", "payload")
	SELECT 'epu_default_order.updated', jsonb_build_object('grid_uuid', n."grid_uuid") FROM new_rows n;
	IF FOUND THEN
		PERFORM pg_notify('smartem_live', '');
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "gridepudefaultorder_live_event_insert" AFTER INSERT ON "gridepudefaultorder" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "smartem_live_event_from_epu_default_order"();--> statement-breakpoint
CREATE TRIGGER "gridepudefaultorder_live_event_update" AFTER UPDATE ON "gridepudefaultorder" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "smartem_live_event_from_epu_default_order"();
