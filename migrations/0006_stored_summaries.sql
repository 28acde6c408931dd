CREATE TABLE `stored_summaries` (
	`event_id` text PRIMARY KEY NOT NULL,
	`head` text NOT NULL,
	`tail` text NOT NULL,
	`revision` integer NOT NULL,
	`directory` text NOT NULL,
	`stated` integer NOT NULL,
	`until` text,
	`computed_at` text NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action
);
