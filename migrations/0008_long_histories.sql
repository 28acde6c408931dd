CREATE TABLE `claim_lanes` (
	`event_id` text NOT NULL,
	`lane` text NOT NULL,
	`source_id` text NOT NULL,
	`stated_at` text NOT NULL,
	`recorded_at` text NOT NULL,
	`claim_id` text NOT NULL,
	PRIMARY KEY(`event_id`, `lane`, `source_id`, `stated_at`, `recorded_at`, `claim_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `event_lanes` (
	`event_id` text NOT NULL,
	`lane` text NOT NULL,
	`source_id` text NOT NULL,
	PRIMARY KEY(`event_id`, `lane`, `source_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `event_tallies` (
	`event_id` text NOT NULL,
	`recorded_at` text NOT NULL,
	`claims` integer NOT NULL,
	PRIMARY KEY(`event_id`, `recorded_at`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `stored_summaries` ADD `through` text;--> statement-breakpoint
ALTER TABLE `stored_summaries` DROP COLUMN `stated`;--> statement-breakpoint
-- Stored "now" summaries are a cache: the refresher stores them again, with `through`.
-- claim_lanes, event_lanes and event_tallies are filled at start (claims-repository reindexIfIncomplete), then by every insert.
DELETE FROM `stored_summaries`;
