CREATE TABLE "agentconnection" (
	"connection_id" varchar PRIMARY KEY NOT NULL,
	"session_id" varchar NOT NULL,
	"agent_id" varchar NOT NULL,
	"replica" varchar NOT NULL,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"close_reason" varchar
);
--> statement-breakpoint
CREATE TABLE "agentinstruction" (
	"instruction_id" varchar PRIMARY KEY NOT NULL,
	"session_id" varchar NOT NULL,
	"agent_id" varchar NOT NULL,
	"sequence_number" bigserial NOT NULL,
	"instruction_type" varchar NOT NULL,
	"topic" varchar,
	"payload" jsonb NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"status" varchar NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"result" jsonb,
	"error_message" varchar,
	"processing_time_ms" integer
);
--> statement-breakpoint
CREATE TABLE "agentinstructionack" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"instruction_id" varchar NOT NULL,
	"status" varchar NOT NULL,
	"result" jsonb,
	"error_message" varchar,
	"processing_time_ms" integer,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agentsession" (
	"session_id" varchar PRIMARY KEY NOT NULL,
	"agent_id" varchar NOT NULL,
	"acquisition_uuid" varchar,
	"mode" varchar NOT NULL,
	"status" varchar DEFAULT 'active' NOT NULL,
	"description" varchar,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agentconnection" ADD CONSTRAINT "agentconnection_session_id_agentsession_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."agentsession"("session_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agentinstruction" ADD CONSTRAINT "agentinstruction_session_id_agentsession_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."agentsession"("session_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agentinstructionack" ADD CONSTRAINT "agentinstructionack_instruction_id_agentinstruction_instruction_id_fk" FOREIGN KEY ("instruction_id") REFERENCES "public"."agentinstruction"("instruction_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agentsession" ADD CONSTRAINT "agentsession_acquisition_uuid_acquisition_uuid_fk" FOREIGN KEY ("acquisition_uuid") REFERENCES "public"."acquisition"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_agentconnection_session" ON "agentconnection" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "idx_agentinstruction_session_status" ON "agentinstruction" USING btree ("session_id","status");--> statement-breakpoint
CREATE INDEX "idx_agentinstruction_topic" ON "agentinstruction" USING btree ("session_id","topic");--> statement-breakpoint
CREATE INDEX "idx_agentinstructionack_instruction" ON "agentinstructionack" USING btree ("instruction_id");--> statement-breakpoint
CREATE INDEX "idx_agentsession_agent" ON "agentsession" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "idx_agentsession_acquisition" ON "agentsession" USING btree ("acquisition_uuid");