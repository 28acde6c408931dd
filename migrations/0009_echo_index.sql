CREATE INDEX `claims_figure_idx` ON `claims` (`event_id`,`metric`,`population`,`party`,`qualifier`,`value`,`low`,`high`,`stated_at`);--> statement-breakpoint
-- Stored "now" summaries are a cache, stored again by the refresher: with the possible_echo warning (#16).
DELETE FROM `stored_summaries`;
