ALTER TABLE `policies` ADD `jitter_seconds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `policies` ADD `expected_interval_hours` integer;--> statement-breakpoint
-- Settings of the scheduler, overdue detection and housekeeping (hand-written, like 0001_seed).
INSERT OR IGNORE INTO `settings` (`key`, `value`, `type`, `group`, `label`, `description`, `order`) VALUES
  ('max_concurrent_jobs_global', '16', 'integer', 'jobs', 'Concurrent jobs in all', 'How many jobs run at once across all relays.', 45),
  ('overdue_hours', '26', 'integer', 'jobs', 'Overdue after (hours)', 'A client whose last successful backup of a policy is older than this is overdue (a policy can set its own interval).', 70),
  ('housekeeping_hour', '3', 'integer', 'general', 'Housekeeping hour (UTC)', 'Hour of the day when old jobs and their output are deleted.', 40);
--> statement-breakpoint
-- Job retention: 90 days by default (was 30 in the seed); a value an admin changed is kept.
UPDATE `settings` SET `value` = '90' WHERE `key` = 'job_retention_days' AND `value` = '30';
