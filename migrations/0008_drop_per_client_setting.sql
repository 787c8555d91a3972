-- `max_concurrent_jobs_per_client` was seeded by 0001 but never honored: at most one job runs
-- on a client at a time, always (the dispatcher's rule and the issue's). A setting that
-- changes nothing must not be offered.
DELETE FROM `settings` WHERE `key` = 'max_concurrent_jobs_per_client';
