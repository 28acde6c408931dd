CREATE TABLE `event_disputes` (
	`event_id` text PRIMARY KEY NOT NULL,
	`level` text,
	`level_rank` integer NOT NULL,
	`relative_spread` real,
	`killed_low` integer,
	`killed_high` integer,
	`killed_counted` integer NOT NULL,
	`attribution_status` text NOT NULL,
	`claims` integer NOT NULL,
	`computed_at` text NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `event_disputes_rank_idx` ON `event_disputes` (`level_rank`,`relative_spread`,`event_id`);--> statement-breakpoint
CREATE INDEX `event_disputes_claims_idx` ON `event_disputes` (`claims`,`event_id`);