/**
 * A relay's `report` about the object a prepare job prepared: marks the client or the
 * repository ready at the edge (the path that needs no curl). Accepted only from the
 * relay that holds the job's lease, for the job's own object and kind, while the job
 * runs; anything else is refused with a reason the relay prints in the job's output.
 *
 * A client's host key is pinned here on first use. A report with a different key than
 * the pinned one is refused: the relay already fails closed on a mismatch, this is the
 * edge's own check. Reporting consumes the job's readiness tokens: once the relay has
 * marked the object ready, the curl it would have printed no longer works.
 */
import type { RelayMessage } from '../../shared/protocol';

type Report = Extract<RelayMessage, { type: 'report' }>;

export type ReportOutcome = { ok: true } | { ok: false; reason: string };

interface JobRow {
  type: string;
  status: string;
  attempt: number;
  relay_id: number | null;
  client_id: number | null;
  repository_id: number | null;
}

export async function applyReport(db: D1Database, relayId: number, msg: Report): Promise<ReportOutcome> {
  const job = await db.prepare('SELECT type, status, attempt, relay_id, client_id, repository_id FROM jobs WHERE id = ?').bind(msg.jobId).first<JobRow>();
  if (!job || job.relay_id !== relayId || job.attempt !== msg.attempt) return { ok: false, reason: `Job ${msg.jobId} attempt ${msg.attempt} is not a job of this relay.` };
  if (job.status !== 'running') return { ok: false, reason: `Job ${msg.jobId} is ${job.status}, not running.` };
  const now = Date.now();
  const r = msg.report;
  if (r.object === 'client') {
    if (job.type !== 'prepare_client' || job.client_id !== r.clientId) return { ok: false, reason: `Job ${msg.jobId} does not prepare client ${r.clientId}.` };
    const client = await db.prepare('SELECT host_key_fingerprint AS fp FROM clients WHERE id = ?').bind(r.clientId).first<{ fp: string | null }>();
    if (!client) return { ok: false, reason: `Client ${r.clientId} no longer exists.` };
    if (client.fp !== null && client.fp !== r.hostKeyFingerprint) {
      return { ok: false, reason: `The host key of client ${r.clientId} is ${r.hostKeyFingerprint}, but ${client.fp} is pinned: an admin must re-pin it before the client can be used.` };
    }
    // The pin is checked again in the write: an admin's re-pin between the read and here wins.
    const [update] = await db.batch([
      db
        .prepare(
          `UPDATE clients SET ready = 1, mark_as_to_update = 0, ip = coalesce(?2, ip), borg_version = coalesce(?3, borg_version), host_key_fingerprint = ?4, modified = ?5
            WHERE id = ?1 AND (host_key_fingerprint IS NULL OR host_key_fingerprint = ?4)`,
        )
        .bind(r.clientId, r.ip, r.borgVersion, r.hostKeyFingerprint, now),
      db.prepare("DELETE FROM readiness_tokens WHERE object_type = 'client' AND object_id = ?1 AND changes() = 1").bind(r.clientId),
    ]);
    if ((update?.meta.changes ?? 0) !== 1) return { ok: false, reason: `The host key of client ${r.clientId} was re-pinned meanwhile; prepare the client again.` };
    return { ok: true };
  }
  if (job.type !== 'prepare_repository' || job.repository_id !== r.repositoryId) return { ok: false, reason: `Job ${msg.jobId} does not prepare repository ${r.repositoryId}.` };
  await db.batch([
    db
      .prepare('UPDATE repositories SET ready = 1, original_size = ?2, compressed_size = ?3, deduplicated_size = ?4, modified = ?5 WHERE id = ?1')
      .bind(r.repositoryId, r.originalSize, r.compressedSize, r.deduplicatedSize, now),
    db.prepare("DELETE FROM readiness_tokens WHERE object_type = 'repository' AND object_id = ?").bind(r.repositoryId),
  ]);
  return { ok: true };
}
