import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCatalogScript,
  buildCheckScript,
  buildCompactScript,
  buildExtractScript,
  buildInfoScript,
  buildInitScript,
  buildListScript,
  buildPruneScript,
  buildVersionScript,
  compareVersions,
  meetsMinimumVersion,
  parseBorgVersion,
  retentionFlags,
} from './repository';
import { ScriptError } from './remote-script';
import { repositorySpec, unquotedText } from './test-helpers';

const PRELUDE = 'IFS= read -r BORG_PASSPHRASE || exit 97\nexport BORG_PASSPHRASE\n';
const ENV =
  'BORG_RELOCATED_REPO_ACCESS_IS_OK=no\nBORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no\nBORG_DISPLAY_PASSPHRASE=no\nBORG_RSH="${BORG_RSH:-ssh} -o BatchMode=yes"\n' +
  'export BORG_RELOCATED_REPO_ACCESS_IS_OK BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK BORG_DISPLAY_PASSPHRASE BORG_RSH\n';
const repo = repositorySpec();
const NONE_RETENTION = { within: null, hourly: null, daily: null, weekly: null, monthly: null, yearly: null };

describe('repository scripts, exact text', () => {
  it('init with encryption, append-only and quota', () => {
    const s = buildInitScript(repositorySpec({ appendOnly: true, quotaBytes: 5_000_000_000 }));
    assert.deepEqual(s.stdinSecrets, ['sealed:v1:PASSPHRASE']);
    assert.equal(
      s.script,
      `${PRELUDE}# borg-orchestrator: init\n${ENV}exec borg init --log-json --encryption=repokey-blake2 --make-parent-dirs --append-only --storage-quota=5000000000 -- backup@nas:/srv/borg/main </dev/null\n`,
    );
    const none = buildInitScript(repositorySpec({ encryption: 'none', passphraseSealed: null }));
    assert.deepEqual(none.stdinSecrets, []);
    assert.ok(!none.script.includes('read -r'));
    assert.ok(none.script.includes('BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes'));
    assert.ok(none.script.endsWith('exec borg init --log-json --encryption=none --make-parent-dirs -- backup@nas:/srv/borg/main </dev/null\n'));
  });

  it('info, list, catalog', () => {
    assert.equal(buildInfoScript(repo).script, `${PRELUDE}# borg-orchestrator: info\n${ENV}exec borg info --log-json --json -- backup@nas:/srv/borg/main </dev/null\n`);
    assert.ok(buildListScript(repo).script.endsWith('exec borg list --log-json --json -- backup@nas:/srv/borg/main </dev/null\n'));
    const catalog = buildCatalogScript({ kind: 'catalog', jobId: 1, attempt: 1, maxDurationSeconds: null, repository: repo, archiveName: 'a-b' });
    assert.ok(catalog.script.endsWith('exec borg list --log-json --json-lines -- backup@nas:/srv/borg/main::a-b </dev/null\n'));
  });

  it('prune with only the set retention values and the glob', () => {
    const s = buildPruneScript({ repository: repo, archiveGlob: 'rootfs-web1-*', retention: { ...NONE_RETENTION, within: '2d', daily: 7, weekly: 0, yearly: 2 } });
    assert.equal(
      s.script,
      `${PRELUDE}# borg-orchestrator: prune\n${ENV}exec borg prune --log-json --list '--glob-archives=rootfs-web1-*' --keep-within=2d --keep-daily=7 --keep-yearly=2 -- backup@nas:/srv/borg/main </dev/null\n`,
    );
  });

  it('prune refuses no retention, a glob of everything, a bad interval', () => {
    assert.throws(() => buildPruneScript({ repository: repo, archiveGlob: 'x-*', retention: NONE_RETENTION }), /No retention value is set/);
    assert.throws(() => buildPruneScript({ repository: repo, archiveGlob: 'x-*', retention: { ...NONE_RETENTION, daily: 0 } }), /No retention value/);
    assert.throws(() => buildPruneScript({ repository: repo, archiveGlob: '*', retention: { ...NONE_RETENTION, daily: 1 } }), /not all archives/);
    assert.throws(() => retentionFlags({ ...NONE_RETENTION, within: '7 days' }), /--keep-within interval/);
    assert.deepEqual(retentionFlags({ within: null, hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 1 }), [
      '--keep-hourly=24',
      '--keep-daily=7',
      '--keep-weekly=4',
      '--keep-monthly=6',
      '--keep-yearly=1',
    ]);
  });

  it('compact and check', () => {
    assert.ok(buildCompactScript({ repository: repo }).script.endsWith('exec borg compact --log-json --info --progress -- backup@nas:/srv/borg/main </dev/null\n'));
    assert.ok(buildCheckScript({ repository: repo, verifyData: false }).script.endsWith('exec borg check --log-json --info --progress -- backup@nas:/srv/borg/main </dev/null\n'));
    assert.ok(buildCheckScript({ repository: repo, verifyData: true }).script.endsWith('exec borg check --log-json --info --progress --verify-data -- backup@nas:/srv/borg/main </dev/null\n'));
  });

  it('extract into the destination, paths after --, leading / stripped', () => {
    const s = buildExtractScript({ repository: repo, archiveName: 'a', paths: ['/etc/hosts', '-x'], destination: "/restore/it's", dryRun: false });
    assert.equal(
      s.script,
      `${PRELUDE}# borg-orchestrator: extract\n${ENV}mkdir -p -- '/restore/it'\\''s' || exit 2\ncd -- '/restore/it'\\''s' || exit 2\n` +
        'exec borg extract --log-json --list -- backup@nas:/srv/borg/main::a pp:etc/hosts pp:-x </dev/null\n',
    );
    const dry = buildExtractScript({ repository: repo, archiveName: 'a', paths: [], destination: 'ignored', dryRun: true });
    assert.ok(!dry.script.includes('mkdir') && !dry.script.includes('cd --'));
    assert.ok(dry.script.endsWith('exec borg extract --log-json --list --dry-run -- backup@nas:/srv/borg/main::a </dev/null\n'));
    assert.throws(() => buildExtractScript({ repository: repo, archiveName: 'a', paths: [], destination: 'relative', dryRun: false }), /absolute path/);
    assert.throws(() => buildExtractScript({ repository: repo, archiveName: 'a', paths: ['/'], destination: '/x', dryRun: false }), /Not a path inside an archive/);
  });

  it('hostile values in every repository script appear only quoted', () => {
    const hostile = repositorySpec({ location: "/r $(touch PWNED) 'q' ;`touch PWNED`|&" });
    const scripts = [
      buildInitScript(hostile),
      buildInfoScript(hostile),
      buildListScript(hostile, '-a $(touch PWNED)'),
      buildPruneScript({ repository: hostile, archiveGlob: "x-$(touch PWNED)-'*", retention: { ...NONE_RETENTION, daily: 1 } }),
      buildCompactScript({ repository: hostile }),
      buildCheckScript({ repository: hostile, verifyData: true }),
      buildExtractScript({ repository: hostile, archiveName: '`touch PWNED`', paths: ['$(touch PWNED)', "a'b"], destination: '/d/$(touch PWNED)', dryRun: false }),
    ];
    for (const s of scripts) assert.ok(!unquotedText(s.script).includes('PWNED'), s.script);
  });
});

describe('borg --version', () => {
  it('the script and the parse', () => {
    assert.deepEqual(buildVersionScript(), { script: 'exec borg --version </dev/null\n', stdinSecrets: [] });
    assert.equal(parseBorgVersion('borg 1.2.4\n'), '1.2.4');
    assert.equal(parseBorgVersion('borg-linux64 1.4.0b1'), '1.4.0b1');
    assert.equal(parseBorgVersion('borg 2.0.0rc1'), '2.0.0rc1');
    assert.equal(parseBorgVersion('sh: 1: borg: not found'), null);
  });

  it('compares versions numerically, pre-releases before their release', () => {
    assert.equal(compareVersions('1.2.4', '1.2.0'), 1);
    assert.equal(compareVersions('1.2.4', '1.10.0'), -1);
    assert.equal(compareVersions('1.2', '1.2.0'), 0);
    assert.equal(compareVersions('1.4.0b1', '1.4.0'), -1);
    assert.equal(compareVersions('1.4.0rc1', '1.4.0b2'), 1);
    assert.equal(compareVersions('1.4.0', '1.4.0a1'), 1);
    assert.throws(() => compareVersions('one', '1'), ScriptError);
    assert.equal(meetsMinimumVersion('borg 1.2.4', '1.2.0'), true);
    assert.equal(meetsMinimumVersion('borg 1.1.18', '1.2.0'), false);
    assert.equal(meetsMinimumVersion('nothing', '1.2.0'), null);
  });
});
