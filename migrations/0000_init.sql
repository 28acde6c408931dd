CREATE TABLE `actors` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`aliases` text NOT NULL,
	`kind` text NOT NULL,
	`parent_id` text,
	`notes` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`parent_id`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `actors_parent_idx` ON `actors` (`parent_id`);--> statement-breakpoint
CREATE TABLE `aliases` (
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`owner_id` text NOT NULL,
	PRIMARY KEY(`namespace`, `key`)
);
--> statement-breakpoint
CREATE INDEX `aliases_owner_idx` ON `aliases` (`namespace`,`owner_id`);--> statement-breakpoint
CREATE TABLE `changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`type` text NOT NULL,
	`id` text NOT NULL,
	`event_id` text
);
--> statement-breakpoint
CREATE INDEX `changes_event_idx` ON `changes` (`event_id`);--> statement-breakpoint
CREATE TABLE `claims` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`via` text NOT NULL,
	`stated_at` text NOT NULL,
	`recorded_at` text NOT NULL,
	`quote` text,
	`url` text,
	`language` text,
	`note` text,
	`external_id` text,
	`supersedes` text,
	`fingerprint` text NOT NULL,
	`metric` text,
	`population` text,
	`party` text,
	`qualifier` text,
	`value` integer,
	`low` integer,
	`high` integer,
	`best` integer,
	`stance` text,
	`actor_ids` text,
	`certainty` text,
	`role` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`supersedes`) REFERENCES `claims`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`party`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `claims_event_stated_idx` ON `claims` (`event_id`,`stated_at`);--> statement-breakpoint
CREATE INDEX `claims_source_idx` ON `claims` (`source_id`);--> statement-breakpoint
CREATE INDEX `claims_supersedes_idx` ON `claims` (`supersedes`);--> statement-breakpoint
CREATE UNIQUE INDEX `claims_source_external_idx` ON `claims` (`source_id`,`external_id`) WHERE external_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`occurred_on` text NOT NULL,
	`ended_on` text,
	`location` text,
	`description` text,
	`tags` text NOT NULL,
	`external_ids` text NOT NULL,
	`revision` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_occurred_on_idx` ON `events` (`occurred_on`);--> statement-breakpoint
CREATE TABLE `retractions` (
	`claim_id` text PRIMARY KEY NOT NULL,
	`at` text NOT NULL,
	`reason` text NOT NULL,
	FOREIGN KEY (`claim_id`) REFERENCES `claims`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`aliases` text NOT NULL,
	`kind` text NOT NULL,
	`country` text,
	`url` text,
	`affiliated_actor_id` text,
	`notes` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`affiliated_actor_id`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE no action
);
