/**
 * SQL that seeds the bench database: one admin user and a read-scoped API token,
 * a schedule, a repository, 100 clients, 1,000 policies (each linked to one client)
 * and 1,000,000 jobs over the last 365 days.
 *
 * Jobs are generated inside SQLite with a recursive CTE, in chunks, so no file holds
 * a million rows. The mix is deterministic: a multiplicative hash of the job id picks
 * its type and status, so two runs seed the same distribution.
 */
import { createHmac } from 'node:crypto';

export const CLIENTS = 100;
export const POLICIES = 1000;
export const JOBS = 1_000_000;
export const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;
/** Spacing between consecutive jobs: 365 days / 1,000,000 = 31,536 ms. */
const STEP_MS = YEAR_MS / JOBS;
/** The newest jobs are still active (pending or running). */
export const ACTIVE_TAIL = 40;

/** Fixed secret for the bench Worker only (passed to `wrangler dev --var`), never the project's. */
export const APP_SECRET = 'bench-app-secret-not-for-production-0123456789';
/** `bo_<8>_<43>` in the base64url alphabet, as worker/auth/api-token.ts expects. */
export const API_TOKEN = 'bo_benchtok_' + 'BenchmarkTokenForLocalWranglerDevOnly000000'.slice(0, 43);

/** HMAC-SHA256(APP_SECRET, token) in hex: what worker/auth/secret-hash.ts stores. */
export function tokenHash(secret = APP_SECRET, token = API_TOKEN) {
  return createHmac('sha256', secret).update(token).digest('hex');
}

const pad = (n, w) => String(n).padStart(w, '0');

/** Users, token, schedule, repository, clients, policies and their links (relay 1 comes from migration 0001). */
export function baseSql(now) {
  const notifications = JSON.stringify({});
  return `
INSERT INTO users (id, created, modified, email, name, password_hash, role, active, notifications)
  VALUES (1, ${now}, ${now}, 'bench@example.com', 'Bench admin', 'unused-no-login', 'admin', 1, '${notifications}');
INSERT INTO api_tokens (user_id, created, modified, name, scope, token_hash, prefix)
  VALUES (1, ${now}, ${now}, 'bench', 'read', '${tokenHash()}', '${API_TOKEN.slice(3, 11)}');
INSERT INTO schedules (id, created, modified, name, crontab, timezone) VALUES (1, ${now}, ${now}, 'nightly', '0 2 * * *', 'UTC');
INSERT INTO repositories (id, created, modified, name, path, relay_id, encryption, ready)
  VALUES (1, ${now}, ${now}, 'main', 'ssh://borg@storage.example.net/./main', 1, 'none', 1);
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${CLIENTS})
INSERT INTO clients (id, created, modified, hostname, relay_id, ip, borg_version, ready)
  SELECT n, ${now - YEAR_MS}, ${now - YEAR_MS}, printf('host-%03d.example.net', n), 1, printf('10.0.%d.%d', n / 250, n % 250 + 1), '1.2.4', 1 FROM seq;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${POLICIES})
INSERT INTO policies (id, created, modified, name, type, schedule_id, repository_id, options, secrets, keep_daily, keep_weekly, keep_monthly)
  SELECT n, ${now - YEAR_MS}, ${now - YEAR_MS}, printf('policy-%04d', n), 'rootfs', 1, 1, '{"excludes":[]}', '{}', 7, 4, 6 FROM seq;
INSERT INTO policy_clients (policy_id, client_id) SELECT id, 1 + ((id - 1) % ${CLIENTS}) FROM policies;
`;
}

/**
 * Jobs with ids [from, to]. Job n was created at start + (n-1)·31.5 s, so ids grow with
 * time as they do in production. Policy 1 + n % 1000 runs on client 1 + n % 100 (the
 * client that policy is linked to).
 *
 * Mix: type 70 % backup, 15 % catalog, 12 % prune, 3 % compact; status 90 % successful,
 * 4 % failed, 2 % error, 2.5 % canceled, 1.5 % lost, and the newest ${ACTIVE_TAIL} jobs
 * pending or running. Successful backups carry sizes and a file count.
 */
export function jobsSql(from, to, now) {
  return splitterSafe(jobsStatement(from, to, now));
}

/**
 * wrangler's SQL splitter (d1 execute --file) treats CASE … END as a compound statement
 * and only sees its end when END is followed by whitespace or `;`. After `END,` or `END)`
 * it stops splitting at `;` and the rest of the file becomes one statement, so every
 * END here gets a space after it.
 */
export function splitterSafe(sql) {
  return sql.replace(/\bEND\b(?=[,)])/g, 'END ');
}

function jobsStatement(from, to, now) {
  const start = now - YEAR_MS;
  // Top bits of a 32-bit multiplicative hash: unrelated to n % 100, so every client gets the same mix.
  const hash = (mult, shift, mod) => `((((n * ${mult}) % 4294967296) >> ${shift}) % ${mod})`;
  return `
WITH RECURSIVE seq(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM seq WHERE n < ${to}),
h AS (
  SELECT n,
         ${start} + (n - 1) * ${STEP_MS} AS created,
         CASE WHEN ${hash(2654435761, 12, 1000)} < 700 THEN 'backup'
              WHEN ${hash(2654435761, 12, 1000)} < 850 THEN 'catalog'
              WHEN ${hash(2654435761, 12, 1000)} < 970 THEN 'prune'
              ELSE 'compact' END AS type,
         CASE WHEN n > ${JOBS - ACTIVE_TAIL} THEN (CASE WHEN n % 2 = 0 THEN 'pending' ELSE 'running' END)
              WHEN ${hash(2246822519, 12, 1000)} < 900 THEN 'successful'
              WHEN ${hash(2246822519, 12, 1000)} < 940 THEN 'failed'
              WHEN ${hash(2246822519, 12, 1000)} < 960 THEN 'error'
              WHEN ${hash(2246822519, 12, 1000)} < 985 THEN 'canceled'
              ELSE 'lost' END AS status,
         ${hash(3266489917, 8, 100000)} AS z
    FROM seq
),
r AS (
  SELECT *,
         CASE WHEN status = 'pending' THEN NULL ELSE created + 2000 END AS started,
         CASE WHEN status IN ('pending', 'running') THEN NULL ELSE 30000 + z * 3 END AS elapsed
    FROM h
)
INSERT INTO jobs (id, created, modified, type, policy_id, client_id, repository_id, relay_id, status, launch_type, attempt,
                  archive_name, started, finished, elapsed_ms, exit_code, explanation, cancel_requested,
                  original_size, compressed_size, deduplicated_size, file_count)
SELECT n, created, coalesce(started + elapsed, created), type, 1 + n % ${POLICIES}, 1 + n % ${CLIENTS}, 1, 1, status, 'scheduled', 1,
       CASE WHEN type = 'backup' THEN printf('host-%03d-%d', 1 + n % ${CLIENTS}, n) END,
       started, started + elapsed, elapsed,
       CASE status WHEN 'successful' THEN 0 WHEN 'failed' THEN 2 END,
       CASE status WHEN 'failed' THEN 'borg exited with code 2: Connection closed by remote host'
                   WHEN 'error' THEN 'The relay could not reach the client.'
                   WHEN 'lost' THEN 'The relay restarted while the job ran.'
                   WHEN 'canceled' THEN 'Canceled by bench@example.com.' END,
       status = 'canceled',
       CASE WHEN type = 'backup' AND status = 'successful' THEN 5000000000 + z * 100000 END,
       CASE WHEN type = 'backup' AND status = 'successful' THEN 3000000000 + z * 60000 END,
       CASE WHEN type = 'backup' AND status = 'successful' THEN 20000000 + z * 2000 END,
       CASE WHEN type = 'backup' AND status = 'successful' THEN 200000 + z END
  FROM r;
`;
}
