ALTER TABLE "agentsession" ADD COLUMN "intake_pending" integer;--> statement-breakpoint
ALTER TABLE "agentsession" ADD COLUMN "intake_orphans" integer;--> statement-breakpoint
ALTER TABLE "agentsession" ADD COLUMN "intake_failed" integer;