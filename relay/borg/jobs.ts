/**
 * One entry point for the executor: a job spec (shared/jobspec.ts) to the scripts it runs and
 * where (shared/jobspec.ts says: repository-only kinds on the relay, which holds the key of
 * the repository host; backup on the client in push mode and split in pull mode;
 * prepare_client and restore on the client).
 */
import type { JobSpec } from '../../shared/jobspec';
import { buildBackupScript, type BackupPlan, type BuildOptions, type Step } from './create';
import {
  buildCatalogScript,
  buildCheckScript,
  buildCompactScript,
  buildExtractScript,
  buildInfoScript,
  buildInitScript,
  buildPruneScript,
  buildVersionScript,
} from './repository';

export type JobPlan =
  | { kind: 'backup'; plan: BackupPlan }
  /** Run `version` on the client; compare with meetsMinimumVersion(stdout, minBorgVersion). */
  | { kind: 'prepare_client'; version: Step; minBorgVersion: string }
  /**
   * Run `probe` (borg info) on the relay and classify it (parse.ts classifyRepositoryProbe):
   * ok → ready; absent, or not_a_repository for an empty directory → run `init`, then `probe`
   * again; wrong_passphrase / no_passphrase / other → fail with that reason.
   */
  | { kind: 'prepare_repository'; probe: Step; init: Step }
  | { kind: 'catalog' | 'prune' | 'compact' | 'check' | 'restore'; step: Step };

export function planJob(spec: JobSpec, options: BuildOptions = {}): JobPlan {
  switch (spec.kind) {
    case 'backup':
      return { kind: 'backup', plan: buildBackupScript(spec, options) };
    case 'prepare_client':
      return { kind: 'prepare_client', version: { runsOn: 'client', ...buildVersionScript() }, minBorgVersion: spec.minBorgVersion };
    case 'prepare_repository':
      return {
        kind: 'prepare_repository',
        probe: { runsOn: 'relay', ...buildInfoScript(spec.repository) },
        init: { runsOn: 'relay', ...buildInitScript(spec.repository) },
      };
    case 'catalog':
      return { kind: 'catalog', step: { runsOn: 'relay', ...buildCatalogScript(spec) } };
    case 'prune':
      return { kind: 'prune', step: { runsOn: 'relay', ...buildPruneScript(spec) } };
    case 'compact':
      return { kind: 'compact', step: { runsOn: 'relay', ...buildCompactScript(spec) } };
    case 'check':
      return { kind: 'check', step: { runsOn: 'relay', ...buildCheckScript(spec) } };
    case 'restore':
      return { kind: 'restore', step: { runsOn: 'client', ...buildExtractScript(spec) } };
  }
}
