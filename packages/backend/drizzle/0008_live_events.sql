CREATE TABLE "live_event" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_live_event_order" ON "live_event" USING btree ("tx","id");--> statement-breakpoint
CREATE INDEX "idx_live_event_created" ON "live_event" USING brin ("created_at");--> statement-breakpoint
CREATE FUNCTION "smartem_live_event_from_outbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "live_event" ("event_type", "payload") SELECT "event_type", "payload" FROM new_rows ORDER BY "id";
	PERFORM pg_notify('smartem_live', '');
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "outbox_live_event" AFTER INSERT ON "outbox" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "smartem_live_event_from_outbox"();
