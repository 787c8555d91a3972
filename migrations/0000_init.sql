CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`last_used` integer,
	`expires` integer,
	`revoked` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`user_id` integer,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` integer,
	`detail` text,
	`address` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_object_idx` ON `audit_log` (`object_type`,`object_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_user_idx` ON `audit_log` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `clients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`hostname` text NOT NULL,
	`port` integer DEFAULT 22 NOT NULL,
	`ssh_user` text DEFAULT 'root' NOT NULL,
	`relay_id` integer NOT NULL,
	`ip` text,
	`borg_version` text,
	`ready` integer DEFAULT false NOT NULL,
	`mark_as_to_update` integer DEFAULT false NOT NULL,
	`bandwidth_limit` integer,
	`behind_firewall` integer DEFAULT false NOT NULL,
	`host_key_fingerprint` text,
	`enabled` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_relay_host_port_unique` ON `clients` (`relay_id`,`hostname`,`port`);--> statement-breakpoint
CREATE INDEX `clients_hostname_idx` ON `clients` (`hostname`);--> statement-breakpoint
CREATE INDEX `clients_enabled_idx` ON `clients` (`enabled`);--> statement-breakpoint
CREATE INDEX `clients_ready_idx` ON `clients` (`ready`);--> statement-breakpoint
CREATE TABLE `job_dependencies` (
	`job_id` integer NOT NULL,
	`depends_on_id` integer NOT NULL,
	PRIMARY KEY(`job_id`, `depends_on_id`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`depends_on_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `job_dependencies_on_idx` ON `job_dependencies` (`depends_on_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`type` text NOT NULL,
	`policy_id` integer,
	`client_id` integer,
	`repository_id` integer,
	`relay_id` integer,
	`status` text DEFAULT 'new' NOT NULL,
	`launch_type` text NOT NULL,
	`master_job_id` integer,
	`relaunch_of_id` integer,
	`attempt` integer DEFAULT 1 NOT NULL,
	`archive_name` text,
	`params` text,
	`started` integer,
	`finished` integer,
	`elapsed_ms` integer,
	`exit_code` integer,
	`explanation` text,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`original_size` integer,
	`compressed_size` integer,
	`deduplicated_size` integer,
	`file_count` integer,
	`result` text,
	FOREIGN KEY (`policy_id`) REFERENCES `policies`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `jobs_status_idx` ON `jobs` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_type_idx` ON `jobs` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_client_idx` ON `jobs` (`client_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_policy_idx` ON `jobs` (`policy_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_repository_idx` ON `jobs` (`repository_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_relay_idx` ON `jobs` (`relay_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_master_idx` ON `jobs` (`master_job_id`);--> statement-breakpoint
CREATE INDEX `jobs_created_idx` ON `jobs` (`created`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_stats_idx` ON `jobs` (`finished`,`type`,`status`,`original_size`,`deduplicated_size`);--> statement-breakpoint
CREATE TABLE `login_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`address` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_failures_email_idx` ON `login_failures` (`email`,`at`);--> statement-breakpoint
CREATE INDEX `login_failures_address_idx` ON `login_failures` (`address`,`at`);--> statement-breakpoint
CREATE TABLE `policies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`schedule_id` integer NOT NULL,
	`repository_id` integer NOT NULL,
	`options` text NOT NULL,
	`secrets` text NOT NULL,
	`keep_within` text,
	`keep_hourly` integer,
	`keep_daily` integer,
	`keep_weekly` integer,
	`keep_monthly` integer,
	`keep_yearly` integer,
	`pre_hook` text,
	`post_hook` text,
	`compression` text DEFAULT 'lz4' NOT NULL,
	`catalog_enabled` integer DEFAULT true NOT NULL,
	`prune_enabled` integer DEFAULT true NOT NULL,
	`mode_pull` integer DEFAULT false NOT NULL,
	`max_duration_seconds` integer,
	`next_run` integer,
	`enabled` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policies_name_unique` ON `policies` (`name`);--> statement-breakpoint
CREATE INDEX `policies_schedule_idx` ON `policies` (`schedule_id`);--> statement-breakpoint
CREATE INDEX `policies_repository_idx` ON `policies` (`repository_id`);--> statement-breakpoint
CREATE INDEX `policies_type_idx` ON `policies` (`type`);--> statement-breakpoint
CREATE INDEX `policies_enabled_idx` ON `policies` (`enabled`);--> statement-breakpoint
CREATE INDEX `policies_next_run_idx` ON `policies` (`enabled`,`next_run`);--> statement-breakpoint
CREATE TABLE `policy_clients` (
	`policy_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	PRIMARY KEY(`policy_id`, `client_id`),
	FOREIGN KEY (`policy_id`) REFERENCES `policies`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `policy_clients_client_idx` ON `policy_clients` (`client_id`);--> statement-breakpoint
CREATE TABLE `readiness_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` text NOT NULL,
	`job_id` integer NOT NULL,
	`object_type` text NOT NULL,
	`object_id` integer NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`expires` integer NOT NULL,
	`used` integer,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `readiness_tokens_hash_unique` ON `readiness_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `readiness_tokens_job_idx` ON `readiness_tokens` (`job_id`);--> statement-breakpoint
CREATE TABLE `relays` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`name` text NOT NULL,
	`public_key` text,
	`credential_hash` text,
	`last_seen` integer,
	`version` text,
	`connected` integer DEFAULT false NOT NULL,
	`enabled` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `relays_name_unique` ON `relays` (`name`);--> statement-breakpoint
CREATE TABLE `repositories` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`name` text NOT NULL,
	`path` text NOT NULL,
	`relay_id` integer NOT NULL,
	`passphrase_sealed` text,
	`encryption` text DEFAULT 'repokey-blake2' NOT NULL,
	`ready` integer DEFAULT false NOT NULL,
	`original_size` integer,
	`compressed_size` integer,
	`deduplicated_size` integer,
	`append_only` integer DEFAULT false NOT NULL,
	`quota_bytes` integer,
	`enabled` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`relay_id`) REFERENCES `relays`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repositories_name_unique` ON `repositories` (`name`);--> statement-breakpoint
CREATE INDEX `repositories_relay_idx` ON `repositories` (`relay_id`);--> statement-breakpoint
CREATE INDEX `repositories_enabled_idx` ON `repositories` (`enabled`);--> statement-breakpoint
CREATE INDEX `repositories_ready_idx` ON `repositories` (`ready`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`name` text NOT NULL,
	`crontab` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedules_name_unique` ON `schedules` (`name`);--> statement-breakpoint
CREATE INDEX `schedules_enabled_idx` ON `schedules` (`enabled`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`token_hash` text NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`last_seen` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`expires` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_token_unique` ON `sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text,
	`type` text NOT NULL,
	`group` text NOT NULL,
	`label` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`order` integer DEFAULT 0 NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified_by` integer
);
--> statement-breakpoint
CREATE INDEX `settings_group_idx` ON `settings` (`group`,`order`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`modified` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`created_by` integer,
	`modified_by` integer,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`password_hash` text NOT NULL,
	`role` text DEFAULT 'viewer' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`notifications` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_role_idx` ON `users` (`role`);