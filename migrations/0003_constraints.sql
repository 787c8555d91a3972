CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_one_active_backup` ON `jobs` (`client_id`,`repository_id`) WHERE type = 'backup' AND status IN ('new', 'pending', 'waiting', 'starting', 'running');--> statement-breakpoint
CREATE INDEX `jobs_launch_type_idx` ON `jobs` (`launch_type`,`id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires`);