/**
 * A client's last successful backup per policy and its overdue flag: the D1 side of
 * worker/jobs/overdue.ts. `backupStates` loads a page's inputs in one query and lets the
 * pure rule decide; `overdueFilter` is the same rule as SQL, for `GET /clients?overdue=`,
 * so that the filter pages and counts like any other (keyset, capped count).
 *
 * Both read a pair's newest success with `lastSuccessOf`, one seek in the partial index
 * jobs_last_success_idx whatever the number of jobs.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { inList } from '../../db/in-list';
import { clients, policies, policyClients, schedules, settings } from '../../db/schema';
import type { Db } from '../../http/context';
import { clientBackupState, overdueHoursSetting, type ClientBackupState, type PolicyMembership } from '../../jobs/overdue';

type ClientRow = typeof clients.$inferSelect;

/**
 * `(SELECT max(finished) …)` of the successful backups of one (client, policy).
 * 'backup' and 'successful' must stay literals in the SQL text: SQLite uses a partial
 * index only for a query that repeats the index's WHERE terms, and a bound parameter
 * does not count as the same term.
 */
function lastSuccessOf(clientId: SQLiteColumn | SQL, policyId: SQLiteColumn | SQL): SQL {
  return sql`(SELECT max(ls.finished) FROM jobs ls WHERE ls.client_id = ${clientId} AND ls.policy_id = ${policyId} AND ls.type = 'backup' AND ls.status = 'successful')`;
}

/** The `overdue_hours` setting (hours), or its default. */
export async function readOverdueHours(db: Db): Promise<number> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, 'overdue_hours'));
  let value: unknown = null;
  try {
    value = row?.value ? JSON.parse(row.value) : null;
  } catch {
    /* a damaged value falls back to the default */
  }
  return overdueHoursSetting(value);
}

/** The backup state of each client of a page, from one query over their policies. */
export async function backupStates(db: Db, rows: readonly ClientRow[], settingHours: number, now: Date): Promise<Map<number, ClientBackupState>> {
  const out = new Map<number, ClientBackupState>();
  if (!rows.length) return out;
  const links = await db
    .select({
      clientId: policyClients.clientId,
      policy: policies.id,
      policyName: policies.name,
      policyEnabled: policies.enabled,
      scheduleEnabled: schedules.enabled,
      expectedIntervalHours: policies.expectedIntervalHours,
      policyCreated: policies.created,
      lastSuccess: sql<number | null>`${lastSuccessOf(policyClients.clientId, policyClients.policyId)}`,
    })
    .from(policyClients)
    .innerJoin(policies, eq(policies.id, policyClients.policyId))
    .innerJoin(schedules, eq(schedules.id, policies.scheduleId))
    .where(inList(policyClients.clientId, rows.map((r) => r.id)));
  const byClient = new Map<number, PolicyMembership[]>();
  for (const l of links) {
    const list = byClient.get(l.clientId) ?? [];
    list.push({ ...l, lastSuccess: l.lastSuccess === null ? null : new Date(l.lastSuccess) });
    byClient.set(l.clientId, list);
  }
  for (const row of rows) out.set(row.id, clientBackupState(row, byClient.get(row.id) ?? [], settingHours, now));
  return out;
}

/** What a client on no policy shows (a new client). */
export const NO_BACKUPS: ClientBackupState = { backups: [], overdue: false };

/**
 * Clients that `clientBackupState` calls overdue at `now`, as a condition on `clients`:
 * enabled, and some enabled policy with an enabled schedule whose newest success (or,
 * with none, the later of the policy's and the client's creation) is older than the
 * interval. Strictly older, as in `isOverdue`.
 */
export function overdueFilter(now: Date, settingHours: number): SQL {
  // Whole numbers inlined: D1 binds JavaScript numbers as REAL (docs/database.md).
  const nowMs = Math.trunc(now.getTime());
  if (!Number.isSafeInteger(nowMs) || !Number.isSafeInteger(settingHours)) throw new Error('overdueFilter: not whole numbers');
  // CROSS JOIN fixes the join order (SQLite never reorders it): from the client's own
  // links (policy_clients_client_idx) to each policy by id. With a plain JOIN and no
  // ANALYZE statistics the planner walked policies_enabled_idx instead, every enabled
  // policy for every client.
  return sql`(${clients.enabled} = 1 AND EXISTS (
    SELECT 1 FROM policy_clients opc
    CROSS JOIN policies op ON op.id = opc.policy_id
    CROSS JOIN schedules os ON os.id = op.schedule_id
    WHERE opc.client_id = ${clients.id} AND op.enabled = 1 AND os.enabled = 1
      AND coalesce(${lastSuccessOf(sql`opc.client_id`, sql`opc.policy_id`)}, max(op.created, ${clients.created}))
          < ${sql.raw(String(nowMs))} - coalesce(op.expected_interval_hours, ${sql.raw(String(settingHours))}) * 3600000
  ))`;
}
