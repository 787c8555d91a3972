/**
 * Restore: paths of one archive into a folder of a client. The archive comes from a
 * successful backup job (`?job=ID`, the job page's "Restore…") or a repository and an
 * archive name. The target is any client of the repository's relay (the backed-up host by
 * default; another host to rebuild a lost one). The API checks everything and its reasons
 * appear beside the fields; on success the restore job's page shows it running.
 */
import { useLocation } from 'preact-iso';
import { useEffect } from 'preact/hooks';
import { api } from '../../lib/api';
import { formatBytes, formatDate } from '../../lib/format';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Job } from '../../lib/types';
import { Field, FormError, lines, useForm } from '../../components/form';
import { PageHeader } from '../../layout/Layout';
import { useRelayClients, useRepositories, useRepository, useSourceJob, type ClientRow } from './sources';
import '../jobs/jobs.css';

interface Values {
  repository: string;
  archive: string;
  paths: string;
  client: string;
  destination: string;
  dry_run: boolean;
}

const idOrNull = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : null);
const clientLabel = (c: ClientRow) => `${c.hostname}${!c.enabled ? ' (disabled)' : !c.ready ? ' (not ready)' : ''}`;

export function RestorePage() {
  useTitle('Restore');
  const { query, route } = useLocation();
  const notices = useNotices();
  const operator = useSession().can('operator');
  const jobId = idOrNull(query.job);
  const { job: source, error: sourceError } = useSourceJob(jobId);
  const form = useForm<Values>({ repository: query.repository ?? '', archive: query.archive ?? '', paths: '', client: '', destination: '', dry_run: false });
  const { values, set } = form;
  const repositories = useRepositories(jobId === null);
  const repository = useRepository(jobId !== null ? (source?.repository ?? null) : idOrNull(values.repository));
  const clients = useRelayClients(repository?.relay ?? null);

  // The backed-up client is the default target.
  useEffect(() => {
    if (source?.client && !values.client) set('client', String(source.client));
  }, [source?.id]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const created = await form.submit((v) =>
      api<{ job: Job }>('POST', '/restores', {
        ...(jobId !== null ? { job: jobId } : { repository: idOrNull(v.repository) ?? undefined, archive: v.archive.trim() || undefined }),
        paths: lines(v.paths),
        client: idOrNull(v.client) ?? undefined,
        destination: v.destination.trim(),
        dry_run: v.dry_run,
      }),
    );
    if (created) {
      notices.success(`Restore job #${created.job.id} launched${values.dry_run ? ' (dry run)' : ''}.`);
      route(`/jobs/${created.job.id}`);
    }
  };

  const fromJob = jobId !== null;
  return (
    <section>
      <PageHeader title="Restore" />
      {sourceError && (
        <p class="form-error" role="alert">
          Could not load backup job #{jobId}: {sourceError}
        </p>
      )}
      {source && (source.type !== 'backup' || source.status !== 'successful') && (
        <p class="form-error" role="alert">
          Job #{source.id} is a {source.status} {source.type} job: restores are made from a successful backup.
        </p>
      )}
      {fromJob && source && (
        <div class="card restore-archive">
          <h2>Archive</h2>
          <dl class="meta">
            <dt>Archive</dt>
            <dd class="mono">{source.archive_name ?? '—'}</dd>
            <dt>Repository</dt>
            <dd>{repository ? <a href={`/repositories/${repository.id}`}>{repository.name}</a> : `#${source.repository}`}</dd>
            <dt>Backup</dt>
            <dd>
              <a href={`/jobs/${source.id}`}>job #{source.id}</a>, {source.status}, finished {formatDate(source.finished)}
            </dd>
            <dt>Contents</dt>
            <dd>
              {formatBytes(source.original_size)}
              {source.file_count !== null ? `, ${source.file_count.toLocaleString()} files` : ''}
            </dd>
          </dl>
        </div>
      )}
      {!operator ? (
        <p class="form-error">Restoring needs the operator role.</p>
      ) : (
        <form class="card" onSubmit={submit} noValidate>
          <FormError error={form.error} shown={['job', 'repository', 'archive', 'paths', 'client', 'destination', 'dry_run']} />
          {fromJob ? (
            form.error?.field('job') && <p class="field-error" data-field="job">{form.error.field('job')!.join(' ')}</p>
          ) : (
            <>
              <Field label="Repository" name="repository" error={form.error}>
                <select value={values.repository} onChange={(e) => set('repository', e.currentTarget.value)}>
                  <option value="">Choose a repository…</option>
                  {repositories?.map((r) => (
                    <option key={r.id} value={String(r.id)}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Archive name" name="archive" error={form.error} hint="As borg lists it, e.g. folders-web1-2024-05-01T02:00.">
                <input type="text" value={values.archive} onInput={(e) => set('archive', e.currentTarget.value)} autocomplete="off" spellcheck={false} />
              </Field>
            </>
          )}
          <Field label="Paths to restore" name="paths" error={form.error} hint="One path inside the archive per line (a leading / is fine). Leave empty to restore the whole archive.">
            <textarea rows={4} value={values.paths} onInput={(e) => set('paths', e.currentTarget.value)} spellcheck={false} />
          </Field>
          <Field label="Target client" name="client" error={form.error} hint={repository ? `Clients of the repository's relay (a restore runs through it).` : 'Choose the archive first.'}>
            <select value={values.client} onChange={(e) => set('client', e.currentTarget.value)} disabled={!clients}>
              <option value="">{clients ? 'Choose a client…' : 'Loading…'}</option>
              {clients?.map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {clientLabel(c)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Destination folder" name="destination" error={form.error} hint="An absolute folder on the target client; it is created if missing. Existing files with the same names are overwritten.">
            <input type="text" value={values.destination} onInput={(e) => set('destination', e.currentTarget.value)} placeholder="/var/tmp/restore" autocomplete="off" spellcheck={false} />
          </Field>
          <Field label="Dry run: list what would be restored, write nothing" name="dry_run" error={form.error}>
            <input type="checkbox" checked={values.dry_run} onChange={(e) => set('dry_run', e.currentTarget.checked)} />
          </Field>
          <div class="form-actions">
            <button type="submit" disabled={form.busy || (fromJob && !source)}>
              {values.dry_run ? 'Start the dry run' : 'Restore'}
            </button>
            {fromJob && (
              <a class="button secondary" href={`/jobs/${jobId}`}>
                Back to the backup
              </a>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
