CREATE FUNCTION "smartem_instruction_live_payload"(i "agentinstruction") RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'instruction_id', i."instruction_id",
		'agent_id', i."agent_id",
		'session_id', i."session_id",
		'instruction_type', i."instruction_type",
		'topic', i."topic",
		'status', i."status",
		'grid_uuid', i."payload"->>'grid_uuid',
		'gridsquare_uuid', i."payload"->>'gridsquare_uuid',
		'foilhole_uuid', i."payload"->>'foilhole_uuid'
	))
$$;--> statement-breakpoint
CREATE FUNCTION "smartem_live_event_from_instruction"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "live_event" ("event_type", "payload")
		SELECT 'instruction.created', smartem_instruction_live_payload(n) FROM new_rows n ORDER BY n."sequence_number";
	ELSE
		INSERT INTO "live_event" ("event_type", "payload")
		SELECT 'instruction.updated', smartem_instruction_live_payload(n)
		FROM new_rows n JOIN old_rows o USING ("instruction_id")
		WHERE n."status" IS DISTINCT FROM o."status"
		ORDER BY n."sequence_number";
	END IF;
	IF FOUND THEN
		PERFORM pg_notify('smartem_live', '');
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "agentinstruction_live_event_insert" AFTER INSERT ON "agentinstruction" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "smartem_live_event_from_instruction"();--> statement-breakpoint
CREATE TRIGGER "agentinstruction_live_event_update" AFTER UPDATE ON "agentinstruction" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "smartem_live_event_from_instruction"();
