-- Seed data: the first relay and the typed settings with their defaults.
-- Values are JSON text; the secret setting starts empty.
INSERT INTO `relays` (`name`) VALUES ('default');
--> statement-breakpoint
INSERT INTO `settings` (`key`, `value`, `type`, `group`, `label`, `description`, `order`) VALUES
  ('public_url', '""', 'string', 'general', 'Public URL', 'Base URL of this deployment, used in links and in the readiness curl. Empty: taken from each request.', 10),
  ('backup_user', '"root"', 'string', 'general', 'Backup user', 'Default SSH user on client hosts.', 20),
  ('job_retention_days', '30', 'integer', 'general', 'Job retention (days)', 'Finished jobs and their output older than this are deleted.', 30),
  ('catalog_enabled', 'true', 'boolean', 'jobs', 'Catalog archives', 'Run a catalog job after each backup so files can be searched.', 10),
  ('auto_prune', 'true', 'boolean', 'jobs', 'Prune automatically', 'Run borg prune after a backup when the policy has a retention.', 20),
  ('auto_compact', 'true', 'boolean', 'jobs', 'Compact automatically', 'Run borg compact after prune so space is freed.', 30),
  ('install_borg', 'false', 'boolean', 'jobs', 'Install borg on clients', 'Let client preparation install borg from the distribution packages when it is missing.', 40),
  ('max_concurrent_jobs', '4', 'integer', 'jobs', 'Concurrent jobs per relay', 'How many jobs one relay runs at once.', 50),
  ('max_concurrent_jobs_per_client', '1', 'integer', 'jobs', 'Concurrent jobs per client', 'How many jobs run at once on one client host.', 60),
  ('mail_from', '""', 'string', 'mail', 'Sender address', 'From: address of notification mail.', 10),
  ('mail_server', '""', 'string', 'mail', 'SMTP server', 'Host name of the SMTP relay.', 20),
  ('mail_port', '587', 'integer', 'mail', 'SMTP port', 'Port of the SMTP relay.', 30),
  ('mail_username', '""', 'string', 'mail', 'SMTP user', 'User name for SMTP authentication.', 40),
  ('mail_password', NULL, 'secret', 'mail', 'SMTP password', 'Write-only.', 50),
  ('mail_tls', 'true', 'boolean', 'mail', 'SMTP TLS', 'Use TLS to the SMTP relay.', 60);
