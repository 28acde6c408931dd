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
DELETE FROM `stored_summaries`;--> statement-breakpoint
-- The lanes and tallies are kept by the database itself, so that every way of inserting a claim keeps them.
-- A lane is `f|metric|population|party` for a figure, `a|actor` for each actor an attribution names.
CREATE TRIGGER `claims_figure_lanes` AFTER INSERT ON `claims` WHEN NEW.`kind` = 'figure' BEGIN
	INSERT INTO `claim_lanes` (`event_id`, `lane`, `source_id`, `stated_at`, `recorded_at`, `claim_id`)
		VALUES (NEW.`event_id`, 'f|' || NEW.`metric` || '|' || NEW.`population` || '|' || COALESCE(NEW.`party`, ''), NEW.`source_id`, NEW.`stated_at`, NEW.`recorded_at`, NEW.`id`);
	INSERT OR IGNORE INTO `event_lanes` (`event_id`, `lane`, `source_id`)
		VALUES (NEW.`event_id`, 'f|' || NEW.`metric` || '|' || NEW.`population` || '|' || COALESCE(NEW.`party`, ''), NEW.`source_id`);
END;--> statement-breakpoint
CREATE TRIGGER `claims_attribution_lanes` AFTER INSERT ON `claims` WHEN NEW.`kind` = 'attribution' BEGIN
	INSERT OR IGNORE INTO `claim_lanes` (`event_id`, `lane`, `source_id`, `stated_at`, `recorded_at`, `claim_id`)
		SELECT NEW.`event_id`, 'a|' || j.`value`, NEW.`source_id`, NEW.`stated_at`, NEW.`recorded_at`, NEW.`id` FROM json_each(NEW.`actor_ids`) AS j;
	INSERT OR IGNORE INTO `event_lanes` (`event_id`, `lane`, `source_id`)
		SELECT NEW.`event_id`, 'a|' || j.`value`, NEW.`source_id` FROM json_each(NEW.`actor_ids`) AS j;
END;--> statement-breakpoint
CREATE TRIGGER `claims_tally` AFTER INSERT ON `claims` BEGIN
	-- Normally none: a claim recorded before others of its event (a clock set back) counts in their tallies too.
	UPDATE `event_tallies` SET `claims` = `claims` + 1 WHERE `event_id` = NEW.`event_id` AND `recorded_at` > NEW.`recorded_at`;
	INSERT INTO `event_tallies` (`event_id`, `recorded_at`, `claims`)
		VALUES (NEW.`event_id`, NEW.`recorded_at`, 1 + COALESCE((SELECT `claims` FROM `event_tallies`
			WHERE `event_id` = NEW.`event_id` AND `recorded_at` <= NEW.`recorded_at` ORDER BY `recorded_at` DESC LIMIT 1), 0))
		ON CONFLICT (`event_id`, `recorded_at`) DO UPDATE SET `claims` = `claims` + 1;
END;--> statement-breakpoint
-- The claims recorded before this migration.
INSERT INTO `claim_lanes` (`event_id`, `lane`, `source_id`, `stated_at`, `recorded_at`, `claim_id`)
	SELECT `event_id`, 'f|' || `metric` || '|' || `population` || '|' || COALESCE(`party`, ''), `source_id`, `stated_at`, `recorded_at`, `id`
	FROM `claims` WHERE `kind` = 'figure';--> statement-breakpoint
INSERT OR IGNORE INTO `claim_lanes` (`event_id`, `lane`, `source_id`, `stated_at`, `recorded_at`, `claim_id`)
	SELECT c.`event_id`, 'a|' || j.`value`, c.`source_id`, c.`stated_at`, c.`recorded_at`, c.`id`
	FROM `claims` AS c, json_each(c.`actor_ids`) AS j WHERE c.`kind` = 'attribution';--> statement-breakpoint
INSERT OR IGNORE INTO `event_lanes` (`event_id`, `lane`, `source_id`) SELECT DISTINCT `event_id`, `lane`, `source_id` FROM `claim_lanes`;--> statement-breakpoint
INSERT INTO `event_tallies` (`event_id`, `recorded_at`, `claims`)
	SELECT `event_id`, `recorded_at`, SUM(`n`) OVER (PARTITION BY `event_id` ORDER BY `recorded_at`)
	FROM (SELECT `event_id`, `recorded_at`, COUNT(*) AS `n` FROM `claims` GROUP BY `event_id`, `recorded_at`);