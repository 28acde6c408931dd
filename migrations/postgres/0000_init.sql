CREATE TABLE "actors" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"aliases" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"parent_id" text COLLATE "C",
	"notes" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aliases" (
	"namespace" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"owner_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "aliases_pkey" PRIMARY KEY("namespace","key")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"scopes" text COLLATE "C" NOT NULL,
	"token_hash" text COLLATE "C" NOT NULL,
	"prefix" text COLLATE "C" NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"revoked_at" text COLLATE "C",
	CONSTRAINT "api_keys_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "changes_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9007199254740991 START WITH 1 CACHE 1),
	"at" text COLLATE "C" NOT NULL,
	"type" text COLLATE "C" NOT NULL,
	"id" text COLLATE "C" NOT NULL,
	"event_id" text COLLATE "C"
);
--> statement-breakpoint
CREATE TABLE "claim_lanes" (
	"event_id" text COLLATE "C" NOT NULL,
	"lane" text COLLATE "C" NOT NULL,
	"source_id" text COLLATE "C" NOT NULL,
	"stated_at" text COLLATE "C" NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL,
	"claim_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "claim_lanes_pkey" PRIMARY KEY("event_id","lane","source_id","stated_at","recorded_at","claim_id")
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "claims_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9007199254740991 START WITH 1 CACHE 1),
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"event_id" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"source_id" text COLLATE "C" NOT NULL,
	"via" text COLLATE "C" NOT NULL,
	"stated_at" text COLLATE "C" NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL,
	"quote" text COLLATE "C",
	"url" text COLLATE "C",
	"language" text COLLATE "C",
	"note" text COLLATE "C",
	"external_id" text COLLATE "C",
	"supersedes" text COLLATE "C",
	"fingerprint" text COLLATE "C" NOT NULL,
	"metric" text COLLATE "C",
	"population" text COLLATE "C",
	"party" text COLLATE "C",
	"qualifier" text COLLATE "C",
	"value" bigint,
	"low" bigint,
	"high" bigint,
	"best" bigint,
	"stance" text COLLATE "C",
	"actor_ids" text COLLATE "C",
	"certainty" text COLLATE "C",
	"role" text COLLATE "C",
	CONSTRAINT "claims_rowid_unique" UNIQUE("rowid")
);
--> statement-breakpoint
CREATE TABLE "dispute_queue" (
	"event_id" text COLLATE "C" PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_disputes" (
	"event_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"level" text COLLATE "C",
	"level_rank" integer NOT NULL,
	"relative_spread" double precision,
	"killed_low" bigint,
	"killed_high" bigint,
	"killed_counted" integer NOT NULL,
	"attribution_status" text COLLATE "C" NOT NULL,
	"claims" bigint NOT NULL,
	"computed_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_lanes" (
	"event_id" text COLLATE "C" NOT NULL,
	"lane" text COLLATE "C" NOT NULL,
	"source_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "event_lanes_pkey" PRIMARY KEY("event_id","lane","source_id")
);
--> statement-breakpoint
CREATE TABLE "event_revisions" (
	"event_id" text COLLATE "C" NOT NULL,
	"seq" integer NOT NULL,
	"at" text COLLATE "C" NOT NULL,
	"type" text COLLATE "C" NOT NULL,
	"snapshot" text COLLATE "C" NOT NULL,
	CONSTRAINT "event_revisions_pkey" PRIMARY KEY("event_id","seq")
);
--> statement-breakpoint
CREATE TABLE "event_tallies" (
	"event_id" text COLLATE "C" NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL,
	"claims" bigint NOT NULL,
	CONSTRAINT "event_tallies_pkey" PRIMARY KEY("event_id","recorded_at")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"title" text COLLATE "C" NOT NULL,
	"occurred_on" text COLLATE "C" NOT NULL,
	"ended_on" text COLLATE "C",
	"location" text COLLATE "C",
	"description" text COLLATE "C",
	"tags" text COLLATE "C" NOT NULL,
	"external_ids" text COLLATE "C" NOT NULL,
	"revision" bigint DEFAULT 1 NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"method" text COLLATE "C" NOT NULL,
	"path" text COLLATE "C" NOT NULL,
	"fingerprint" text COLLATE "C" NOT NULL,
	"state" text COLLATE "C" NOT NULL,
	"status" integer,
	"headers" text COLLATE "C",
	"body" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"expires_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "retractions" (
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "retractions_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9007199254740991 START WITH 1 CACHE 1),
	"claim_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"at" text COLLATE "C" NOT NULL,
	"reason" text COLLATE "C" NOT NULL,
	CONSTRAINT "retractions_rowid_unique" UNIQUE("rowid")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"aliases" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"country" text COLLATE "C",
	"url" text COLLATE "C",
	"affiliated_actor_id" text COLLATE "C",
	"notes" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stored_summaries" (
	"event_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"head" text COLLATE "C" NOT NULL,
	"tail" text COLLATE "C" NOT NULL,
	"revision" bigint NOT NULL,
	"directory" text COLLATE "C" NOT NULL,
	"through" text COLLATE "C",
	"until" text COLLATE "C",
	"computed_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "actors" ADD CONSTRAINT "actors_parent_id_actors_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_supersedes_claims_id_fk" FOREIGN KEY ("supersedes") REFERENCES "public"."claims"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_party_actors_id_fk" FOREIGN KEY ("party") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dispute_queue" ADD CONSTRAINT "dispute_queue_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_disputes" ADD CONSTRAINT "event_disputes_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_revisions" ADD CONSTRAINT "event_revisions_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retractions" ADD CONSTRAINT "retractions_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sources" ADD CONSTRAINT "sources_affiliated_actor_id_actors_id_fk" FOREIGN KEY ("affiliated_actor_id") REFERENCES "public"."actors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stored_summaries" ADD CONSTRAINT "stored_summaries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "actors_parent_idx" ON "actors" USING btree ("parent_id" NULLS FIRST);--> statement-breakpoint
CREATE INDEX "aliases_owner_idx" ON "aliases" USING btree ("namespace","owner_id");--> statement-breakpoint
CREATE INDEX "changes_event_idx" ON "changes" USING btree ("event_id" NULLS FIRST);--> statement-breakpoint
CREATE INDEX "claims_event_stated_idx" ON "claims" USING btree ("event_id","stated_at");--> statement-breakpoint
CREATE INDEX "claims_source_stated_idx" ON "claims" USING btree ("source_id","stated_at","id");--> statement-breakpoint
CREATE INDEX "claims_stated_idx" ON "claims" USING btree ("stated_at","id");--> statement-breakpoint
CREATE INDEX "claims_supersedes_idx" ON "claims" USING btree ("supersedes" NULLS FIRST);--> statement-breakpoint
CREATE UNIQUE INDEX "claims_source_external_idx" ON "claims" USING btree ("source_id","external_id") WHERE external_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "event_disputes_rank_idx" ON "event_disputes" USING btree ("level_rank","relative_spread" NULLS FIRST,"event_id");--> statement-breakpoint
CREATE INDEX "event_disputes_claims_idx" ON "event_disputes" USING btree ("claims","event_id");--> statement-breakpoint
CREATE INDEX "events_occurred_on_idx" ON "events" USING btree ("occurred_on");--> statement-breakpoint
CREATE INDEX "idempotency_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
-- unicode_lower(text): the SQLite connection registers it in JavaScript (String.prototype.toLowerCase) and the
-- shared SQL calls it. lower() folds by the collation of its argument, and every text column is COLLATE "C", under
-- which lower() folds A-Z only: so it folds under ICU's root locale, Unicode's default case mapping, as JavaScript does.
CREATE FUNCTION unicode_lower(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN lower($1 COLLATE "und-x-icu");
