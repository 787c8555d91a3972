DROP INDEX `jobs_stats_idx`;--> statement-breakpoint
CREATE INDEX `jobs_client_status_idx` ON `jobs` (`client_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_stats_idx` ON `jobs` (`type`,`finished`,`status`,`original_size`,`deduplicated_size`);