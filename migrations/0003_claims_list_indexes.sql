DROP INDEX `claims_source_idx`;--> statement-breakpoint
CREATE INDEX `claims_source_stated_idx` ON `claims` (`source_id`,`stated_at`,`id`);--> statement-breakpoint
CREATE INDEX `claims_stated_idx` ON `claims` (`stated_at`,`id`);