/** Parsing borg 1.2.4 output; the samples are lines borg 1.2.4 printed on this machine. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BorgOutputError,
  classifyExit,
  classifyRepositoryProbe,
  lastArchiveProgress,
  parseArchiveList,
  parseCreateResult,
  parseLogLine,
  parseRepositoryInfo,
} from './parse';

describe('parseLogLine', () => {
  it('log_message with and without msgid', () => {
    assert.deepEqual(
      parseLogLine(
        '{"type": "log_message", "time": 1795666374.97, "message": "passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.", "levelname": "ERROR", "name": "borg.archiver", "msgid": "PassphraseWrong"}',
      ),
      {
        type: 'log_message',
        time: 1795666374.97,
        level: 'ERROR',
        name: 'borg.archiver',
        msgid: 'PassphraseWrong',
        message: 'passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.',
        orchestrator: false,
      },
    );
    const list = parseLogLine('{"type": "log_message", "time": 1.5, "message": "Keeping archive (rule: daily #1):  a", "levelname": "INFO", "name": "borg.output.list"}');
    assert.equal(list.type === 'log_message' && list.msgid, null);
  });

  it('our own lines are marked', () => {
    const e = parseLogLine('{"type": "log_message", "time": 1700000000, "levelname": "ERROR", "name": "borg-orchestrator", "msgid": "PreHookFailed", "message": "pre_hook exited with status 1; the backup did not run"}');
    assert.equal(e.type === 'log_message' && e.orchestrator, true);
  });

  it('progress_percent, progress_message, archive_progress, file_status', () => {
    assert.deepEqual(
      parseLogLine('{"message": "Compacting segments   3%", "current": 2, "total": 35, "info": null, "operation": 1, "msgid": "repository.compact_segments", "type": "progress_percent", "finished": false, "time": 1795666693.4}'),
      { type: 'progress_percent', time: 1795666693.4, operation: 1, msgid: 'repository.compact_segments', message: 'Compacting segments   3%', current: 2, total: 35, finished: false },
    );
    assert.deepEqual(parseLogLine('{"operation": 1, "msgid": "repository.check", "type": "progress_percent", "finished": true, "time": 2}'), {
      type: 'progress_percent',
      time: 2,
      operation: 1,
      msgid: 'repository.check',
      message: null,
      current: null,
      total: null,
      finished: true,
    });
    assert.deepEqual(
      parseLogLine('{"message": "Initializing cache transaction: Reading config", "operation": 1, "msgid": "cache.begin_transaction", "type": "progress_message", "finished": false, "time": 3}'),
      { type: 'progress_message', time: 3, operation: 1, msgid: 'cache.begin_transaction', message: 'Initializing cache transaction: Reading config', finished: false },
    );
    assert.deepEqual(
      parseLogLine('{"original_size": 504, "compressed_size": 607, "deduplicated_size": 607, "nfiles": 2, "path": "src/a/f", "time": 4.5, "type": "archive_progress", "finished": false}'),
      { type: 'archive_progress', time: 4.5, originalSize: 504, compressedSize: 607, deduplicatedSize: 607, nfiles: 2, path: 'src/a/f', finished: false },
    );
    assert.deepEqual(parseLogLine('{"type": "file_status", "status": "A", "path": "src/a/f"}'), { type: 'file_status', status: 'A', path: 'src/a/f' });
  });

  it('questions, unknown types, and text that is not borg JSON', () => {
    assert.deepEqual(parseLogLine('{"type": "question_prompt", "msgid": "BORG_RELOCATED_REPO_ACCESS_IS_OK", "message": "Do you want to continue? [yN] "}'), {
      type: 'question',
      kind: 'question_prompt',
      message: 'Do you want to continue? [yN] ',
      msgid: 'BORG_RELOCATED_REPO_ACCESS_IS_OK',
    });
    assert.deepEqual(parseLogLine('{"type": "future_thing", "x": 1}'), { type: 'unknown', raw: { type: 'future_thing', x: 1 } });
    assert.deepEqual(parseLogLine('Enter passphrase for key /tmp/bx/repo: '), { type: 'text', line: 'Enter passphrase for key /tmp/bx/repo: ' });
    assert.deepEqual(parseLogLine('{not json'), { type: 'text', line: '{not json' });
    assert.deepEqual(parseLogLine('[1,2]'), { type: 'text', line: '[1,2]' });
    assert.deepEqual(parseLogLine('{"type": "file_status"}'), { type: 'unknown', raw: { type: 'file_status' } });
  });

  it('finds the last archive progress', () => {
    const events = [
      parseLogLine('{"original_size": 1, "compressed_size": 1, "deduplicated_size": 1, "nfiles": 1, "type": "archive_progress"}'),
      parseLogLine('{"original_size": 9, "compressed_size": 8, "deduplicated_size": 7, "nfiles": 6, "type": "archive_progress", "finished": true}'),
      parseLogLine('text'),
    ];
    assert.equal(lastArchiveProgress(events)?.nfiles, 6);
    assert.equal(lastArchiveProgress([]), null);
  });
});

const CREATE_DOC = `{
    "archive": {
        "command_line": ["/usr/bin/borg", "create", "--log-json", "--json", "--progress", "repo::a1", "src"],
        "duration": 0.004751,
        "end": "2026-11-26T04:12:50.000000",
        "id": "84e960cf1bcd3085e3dd685e5e760df484a49e8fbf98ef91e5b9f63df0b3224d",
        "limits": {"max_archive_size": 2.455716165750637e-05},
        "name": "a1",
        "start": "2026-11-26T04:12:50.000000",
        "stats": {"compressed_size": 607, "deduplicated_size": 607, "nfiles": 2, "original_size": 504}
    },
    "cache": {"path": "/tmp/bx/base/.cache/borg/958c", "stats": {"total_chunks": 4, "total_csize": 92, "total_size": 6, "total_unique_chunks": 4, "unique_csize": 886, "unique_size": 1049}},
    "encryption": {"mode": "repokey-blake2"},
    "repository": {"id": "958c8959", "last_modified": "2026-11-26T04:12:50.000000", "location": "/tmp/bx/repo"}
}`;

describe('--json documents', () => {
  it('borg create', () => {
    assert.deepEqual(parseCreateResult(CREATE_DOC), {
      archiveName: 'a1',
      archiveId: '84e960cf1bcd3085e3dd685e5e760df484a49e8fbf98ef91e5b9f63df0b3224d',
      stats: { originalSize: 504, compressedSize: 607, deduplicatedSize: 607, nfiles: 2 },
      durationSeconds: 0.004751,
      start: '2026-11-26T04:12:50.000000',
      end: '2026-11-26T04:12:50.000000',
      repositoryId: '958c8959',
      repositoryLocation: '/tmp/bx/repo',
      encryption: 'repokey-blake2',
    });
    assert.throws(() => parseCreateResult(''), BorgOutputError);
    assert.throws(() => parseCreateResult('{"archive": {"name": "a"}}'), /archive\.stats\.original_size/);
    assert.throws(() => parseCreateResult('[]'), /not a JSON object/);
  });

  it('borg info and borg list', () => {
    assert.deepEqual(parseRepositoryInfo(CREATE_DOC), {
      repositoryId: '958c8959',
      location: '/tmp/bx/repo',
      encryption: 'repokey-blake2',
      totalSize: 6,
      totalCompressedSize: 92,
      uniqueCompressedSize: 886,
    });
    assert.deepEqual(parseArchiveList('{"archives": [{"archive": "a1", "barchive": "a1", "id": "84e9", "name": "a1", "start": "2026-11-26T04:12:50.000000", "time": "2026-11-26T04:12:50.000000"}]}'), [
      { name: 'a1', id: '84e9', start: '2026-11-26T04:12:50.000000' },
    ]);
    assert.throws(() => parseArchiveList('{}'), /no archives list/);
  });
});

describe('exit codes', () => {
  it('borg 1.2: 0 ok, 1 warning with an archive, 2 error', () => {
    assert.deepEqual(classifyExit(0), { kind: 'ok', archiveCreated: true, message: 'success' });
    assert.deepEqual(classifyExit(1), { kind: 'warning', archiveCreated: true, message: 'finished with warnings' });
    assert.deepEqual(classifyExit(2), { kind: 'error', archiveCreated: false, message: 'error' });
  });

  it('signals, our own codes, the shell\'s', () => {
    assert.deepEqual(classifyExit(143), { kind: 'signal', archiveCreated: false, signal: 15, message: 'killed by signal 15' });
    assert.equal(classifyExit(null, 'SIGKILL').kind, 'signal');
    assert.equal(classifyExit(96).kind, 'orchestrator');
    assert.match(classifyExit(96).message, /pre_hook failed/);
    assert.equal(classifyExit(93).archiveCreated, true);
    assert.equal(classifyExit(95).archiveCreated, false);
    assert.match(classifyExit(97).message, /secret line was missing/);
    assert.equal(classifyExit(127).message, 'command not found');
    assert.equal(classifyExit(3).kind, 'error');
  });
});

describe('classifyRepositoryProbe', () => {
  const err = (msgid: string) => [parseLogLine(JSON.stringify({ type: 'log_message', levelname: 'ERROR', name: 'borg.archiver', msgid, message: 'm' }))];
  it('tells the failures of borg info apart by msgid', () => {
    assert.equal(classifyRepositoryProbe(0, []), 'ok');
    assert.equal(classifyRepositoryProbe(2, err('Repository.DoesNotExist')), 'absent');
    assert.equal(classifyRepositoryProbe(2, err('Repository.InvalidRepository')), 'not_a_repository');
    assert.equal(classifyRepositoryProbe(2, err('PassphraseWrong')), 'wrong_passphrase');
    assert.equal(classifyRepositoryProbe(2, err('NoPassphraseFailure')), 'no_passphrase');
    assert.equal(classifyRepositoryProbe(2, err('Repository.AlreadyExists')), 'already_exists');
    assert.equal(classifyRepositoryProbe(2, err('LockTimeout')), 'locked');
    assert.equal(classifyRepositoryProbe(2, err('ConnectionClosedWithHint')), 'unreachable');
    assert.equal(classifyRepositoryProbe(2, [parseLogLine('ssh: connect to host x: Connection refused')]), 'error');
  });
});
