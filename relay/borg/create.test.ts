/**
 * Backup plans: exact script text per policy type and mode, hostile values in every field
 * (checked two ways: absent from the text the shell reads unquoted, and passed literally as
 * argv when the script runs in /bin/sh against stand-in programs that record their argv and
 * environment), hooks, refusals, and the exit-code rules.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { quote } from '../../shared/shell-quote';
import { buildBackupScript, outcomeStatus, pullExitCode, sourceWrapper, type BackupPlan, type BackupSpec } from './create';
import { CANCEL_FUNCTIONS, EXIT, ScriptError, secretLines } from './remote-script';
import { ROOTFS_EXCLUDES } from './sources';
import { PullModeUnsupportedError } from './tar';
import { backupSpec, repositorySpec, runScript, stubBin, tempDir, unquotedText } from './test-helpers';

const ENV_LINES = [
  'BORG_RELOCATED_REPO_ACCESS_IS_OK=no',
  'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no',
  'BORG_DISPLAY_PASSPHRASE=no',
  'BORG_RSH="${BORG_RSH:-ssh} -o BatchMode=yes"',
  'export BORG_RELOCATED_REPO_ACCESS_IS_OK BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK BORG_DISPLAY_PASSPHRASE BORG_RSH',
];
const ORCH_LOG = `orch_log() { printf '{"type": "log_message", "time": %s, "levelname": "%s", "name": "borg-orchestrator", "msgid": "%s", "message": "%s"}\\n' "$(date +%s)" "$1" "$2" "$3" >&2; }`;
const ARCHIVE = 'backup@nas:/srv/borg/main::folders-web1-2026-01-02_03-04';
const FLAGS = '--log-json --json --progress --compression=lz4';

function push(plan: BackupPlan) {
  assert.equal(plan.mode, 'push');
  if (plan.mode !== 'push') throw new Error('unreachable');
  return plan.backup;
}
function pull(plan: BackupPlan) {
  assert.equal(plan.mode, 'pull');
  if (plan.mode !== 'pull') throw new Error('unreachable');
  return plan;
}
const lines = (s: string) => s.split('\n');

describe('push scripts, exact text', () => {
  it('folders with hooks and hostile values', () => {
    const step = push(
      buildBackupScript(
        backupSpec({
          options: { folders: ["/srv/it's $(touch PWNED)", '/-rf'], excludes: ['-x', '*.tmp'] },
          archiveName: '-a `x` ü',
          repository: repositorySpec({ location: "/r 'q' ;x" }),
          preHook: 'echo pre',
          postHook: 'echo "$BORG_ORCH_STATUS"',
        }),
        { allowHooks: true },
      ),
    );
    assert.equal(step.runsOn, 'client');
    assert.deepEqual(step.stdinSecrets, ['sealed:v1:PASSPHRASE']);
    const hookVars = "BORG_ORCH_JOB_ID=12; BORG_ORCH_ARCHIVE='-a `x` ü'; BORG_ORCH_POLICY_TYPE=folders; export BORG_ORCH_JOB_ID BORG_ORCH_ARCHIVE BORG_ORCH_POLICY_TYPE";
    assert.equal(
      step.script,
      [
        'IFS= read -r BORG_PASSPHRASE || exit 97',
        'export BORG_PASSPHRASE',
        '# borg-orchestrator: backup job 12 attempt 1, folders, push mode, on the client',
        ...ENV_LINES,
        ORCH_LOG,
        ...CANCEL_FUNCTIONS,
        'orch_rc=0',
        'cd / || exit 2',
        `( unset BORG_PASSPHRASE MYSQL_PWD; ${hookVars}; exec /bin/sh -c 'echo pre' ) </dev/null >&2`,
        'orch_pre=$?',
        'if [ "$orch_canceled" -eq 1 ]; then',
        '  orch_rc=143',
        'elif [ "$orch_pre" -ne 0 ]; then',
        '  orch_log ERROR PreHookFailed "pre_hook exited with status $orch_pre; the backup did not run"',
        '  orch_rc=96',
        'else',
        `  borg create ${FLAGS} --exclude=-x '--exclude=*.tmp' -- '/r '\\''q'\\'' ;x::-a \`x\` ü' '/srv/it'\\''s $(touch PWNED)' /-rf </dev/null &`,
        '  orch_child=$!',
        '  orch_wait',
        'fi',
        'case $orch_rc in 0) orch_status=success ;; 1) orch_status=warning ;; *) orch_status=failure ;; esac',
        `( unset BORG_PASSPHRASE MYSQL_PWD; BORG_ORCH_STATUS=$orch_status; BORG_ORCH_EXIT=$orch_rc; export BORG_ORCH_STATUS BORG_ORCH_EXIT; ${hookVars}; exec /bin/sh -c 'echo "$BORG_ORCH_STATUS"' ) </dev/null >&2`,
        'orch_post=$?',
        'if [ "$orch_post" -ne 0 ]; then orch_log WARNING PostHookFailed "post_hook exited with status $orch_post"; fi',
        'exit "$orch_rc"',
        '',
      ].join('\n'),
    );
  });

  it('rootfs: / with the built-in excludes first; config: /etc', () => {
    const rootfs = push(buildBackupScript(backupSpec({ policyType: 'rootfs', options: { excludes: ['/var/cache'] } })));
    const excl = ROOTFS_EXCLUDES.map((e) => `'--exclude=${e}'`).join(' ');
    assert.ok(lines(rootfs.script).includes(`borg create ${FLAGS} ${excl} --exclude=/var/cache -- ${ARCHIVE} / </dev/null &`));
    assert.ok(!rootfs.script.includes('--one-file-system'));
    const config = push(buildBackupScript(backupSpec({ policyType: 'config', options: {} })));
    assert.ok(lines(config.script).includes(`borg create ${FLAGS} -- ${ARCHIVE} /etc </dev/null &`));
  });

  it('mail: only the candidates that are real directories, or 94', () => {
    const s = push(buildBackupScript(backupSpec({ policyType: 'mail', options: { excludes: ['*.lock'] } }))).script;
    const body = lines(s).slice(lines(s).indexOf('set --'));
    assert.deepEqual(body, [
      'set --',
      'if [ -d /var/mail ] && [ ! -L /var/mail ]; then set -- "$@" /var/mail; fi',
      'if [ -d /var/spool/mail ] && [ ! -L /var/spool/mail ]; then set -- "$@" /var/spool/mail; fi',
      'if [ -d /var/lib/mail ] && [ ! -L /var/lib/mail ]; then set -- "$@" /var/lib/mail; fi',
      'if [ "$#" -eq 0 ]; then',
      '  orch_log ERROR NothingToBackUp "none of /var/mail, /var/spool/mail, /var/lib/mail is a directory on this host"',
      '  orch_rc=94',
      'else',
      `  borg create ${FLAGS} '--exclude=*.lock' -- ${ARCHIVE} "$@" </dev/null &`,
      '  orch_child=$!',
      '  orch_wait',
      'fi',
      'exit "$orch_rc"',
      '',
    ]);
  });

  it('mysql: the dump through --content-from-command, password read from stdin after the passphrase', () => {
    const step = push(
      buildBackupScript(backupSpec({ policyType: 'mysql', options: { user: 'bk', port: 3307, databases: ['shop'] }, sealedSecrets: { password: 'sealed:v1:MY' } })),
    );
    assert.deepEqual(step.stdinSecrets, ['sealed:v1:PASSPHRASE', 'sealed:v1:MY']);
    assert.deepEqual(lines(step.script).slice(0, 4), ['IFS= read -r BORG_PASSPHRASE || exit 97', 'export BORG_PASSPHRASE', 'IFS= read -r MYSQL_PWD || exit 97', 'export MYSQL_PWD']);
    const dump = 'mysqldump --single-transaction --routines --events --user=bk --protocol=TCP --port=3307 --databases -- shop';
    const wrapper = `'${sourceWrapper(dump.split(' ')).replaceAll("'", "'\\''")}'`;
    assert.ok(sourceWrapper(dump.split(' ')).includes(`unset BORG_PASSPHRASE; ${dump}; `));
    assert.ok(
      lines(step.script).includes(
        `borg create ${FLAGS} --content-from-command --stdin-name=shop.sql -- ${ARCHIVE} /bin/sh -c ${wrapper} borg-orchestrator-source mysqldump </dev/null &`,
      ),
    );
    assert.ok(!step.script.includes('--password') && !step.script.includes(' -p'), 'the password never goes on a command line');
  });

  it('postgresql and piped', () => {
    const pg = push(buildBackupScript(backupSpec({ policyType: 'postgresql', options: { databases: ['app'] } }))).script;
    // runuser's argv is inside the wrapper's text: borg's argparse would drop its "--" (create.ts).
    assert.match(pg, / --stdin-name=app\.sql -- \S+ \/bin\/sh -c 'unset BORG_PASSPHRASE; runuser -u postgres -- pg_dump --create -- app; .*' borg-orchestrator-source runuser <\/dev\/null &\n/);
    const piped = push(buildBackupScript(backupSpec({ policyType: 'piped', options: { command: "printf '%s' \"$(hostname)\"", stdin_name: 'host.txt' } }), { allowPipedCommands: true })).script;
    const pipedArgv = ['/bin/sh', '-c', "printf '%s' \"$(hostname)\""];
    assert.ok(piped.includes(` --stdin-name=host.txt -- ${ARCHIVE} /bin/sh -c ${quote(sourceWrapper(pipedArgv))} borg-orchestrator-source /bin/sh </dev/null &\n`), piped);
  });

  it('bandwidth limit and compression', () => {
    const s = push(buildBackupScript(backupSpec({ compression: 'auto,zstd,7', client: { ...backupSpec().client, bandwidthLimitKiB: 2048 } }))).script;
    assert.ok(s.includes('borg create --log-json --json --progress --compression=auto,zstd,7 --upload-ratelimit=2048 -- '));
  });
});

describe('push through the tunnel of a behind-firewall client', () => {
  it('keeps the host key name of the repository and accepts the per-job location', () => {
    const plan = buildBackupScript(backupSpec({ repository: repositorySpec({ location: 'ssh://backup@127.0.0.1:40123/srv/borg/main' }) }), { tunnel: { hostKeyAlias: '[nas.example]:2222' } });
    assert.equal(plan.mode, 'push');
    const lines = plan.mode === 'push' ? plan.backup.script.split('\n') : [];
    const at = lines.indexOf("orch_alias='[nas.example]:2222'");
    assert.ok(at > lines.indexOf('BORG_RSH="${BORG_RSH:-ssh} -o BatchMode=yes"'), 'after the common environment');
    assert.deepEqual(lines.slice(at, at + 4), [
      "orch_alias='[nas.example]:2222'",
      'BORG_RSH="${BORG_RSH:-ssh} -o HostKeyAlias=$orch_alias"',
      'BORG_RELOCATED_REPO_ACCESS_IS_OK=yes',
      'export BORG_RSH BORG_RELOCATED_REPO_ACCESS_IS_OK',
    ]);
    assert.ok(plan.mode === 'push' && plan.backup.script.includes(' -- ssh://backup@127.0.0.1:40123/srv/borg/main::'));
  });
  it('refuses an alias a shell or shlex would split or expand', () => {
    for (const alias of ['nas example', 'nas;id', '$(id)', 'a"b', "a'b", '`id`', 'nas\nx']) {
      assert.throws(() => buildBackupScript(backupSpec(), { tunnel: { hostKeyAlias: alias } }), ScriptError, alias);
    }
  });
});

describe('pull plans, exact text', () => {
  it('folders: tar on the client, borg import-tar on the relay', () => {
    const plan = pull(buildBackupScript(backupSpec({ modePull: true, options: { folders: ['/srv/www', '/-x'], excludes: ['pp:/srv/www/cache', '*.tmp'] } })));
    assert.equal(plan.preHook, null);
    assert.equal(plan.postHook, null);
    assert.equal(plan.source.runsOn, 'client');
    assert.equal(plan.source.format, 'tar');
    assert.deepEqual(plan.source.stdinSecrets, []);
    assert.equal(
      plan.source.script,
      '# borg-orchestrator: backup job 12 attempt 1, folders, pull mode, data source on the client\ncd / || exit 2\n' +
        "exec tar --create --file=- --directory=/ --format=pax '--transform=s,^\\./,,S' --anchored --wildcards --wildcards-match-slash " +
        "--exclude=./srv/www/cache '--exclude=./*.tmp' -- ./srv/www ./-x </dev/null\n",
    );
    assert.equal(plan.sink.runsOn, 'relay');
    assert.deepEqual(plan.sink.stdinSecrets, ['sealed:v1:PASSPHRASE']);
    assert.equal(
      plan.sink.script,
      [
        'IFS= read -r BORG_PASSPHRASE || exit 97',
        'export BORG_PASSPHRASE',
        '# borg-orchestrator: backup job 12 attempt 1, folders, pull mode, borg on the relay',
        ...ENV_LINES,
        `exec borg import-tar ${FLAGS} -- ${ARCHIVE} -`,
        '',
      ].join('\n'),
    );
  });

  it('mysql: the dump on the client with its password, borg create - on the relay with the passphrase', () => {
    const plan = pull(buildBackupScript(backupSpec({ policyType: 'mysql', modePull: true, options: { user: "u'x", databases: ['shop'] }, sealedSecrets: { password: 'S' } })));
    assert.equal(plan.source.format, 'raw');
    assert.deepEqual(plan.source.stdinSecrets, ['S']);
    assert.equal(
      plan.source.script,
      "IFS= read -r MYSQL_PWD || exit 97\nexport MYSQL_PWD\n# borg-orchestrator: backup job 12 attempt 1, mysql, pull mode, data source on the client\ncd / || exit 2\n" +
        "exec mysqldump --single-transaction --routines --events '--user=u'\\''x' --databases -- shop </dev/null\n",
    );
    assert.deepEqual(plan.sink.stdinSecrets, ['sealed:v1:PASSPHRASE']);
    assert.ok(lines(plan.sink.script).includes(`exec borg create ${FLAGS} --stdin-name=shop.sql -- ${ARCHIVE} -`));
  });

  it('hooks run on the client before and after, the post_hook told the outcome', () => {
    const plan = pull(buildBackupScript(backupSpec({ modePull: true, preHook: 'stop it', postHook: "start 'it'" }), { allowHooks: true }));
    const vars = 'BORG_ORCH_JOB_ID=12; BORG_ORCH_ARCHIVE=folders-web1-2026-01-02_03-04; BORG_ORCH_POLICY_TYPE=folders';
    assert.equal(
      plan.preHook!.script,
      `# borg-orchestrator: backup job 12 attempt 1, folders, pre_hook\ncd / || exit 2\n${vars}; export BORG_ORCH_JOB_ID BORG_ORCH_ARCHIVE BORG_ORCH_POLICY_TYPE\nexec /bin/sh -c 'stop it' </dev/null >&2\n`,
    );
    assert.equal(
      plan.postHook!(1).script,
      `# borg-orchestrator: backup job 12 attempt 1, folders, post_hook\ncd / || exit 2\n${vars}; BORG_ORCH_STATUS=warning; BORG_ORCH_EXIT=1; ` +
        "export BORG_ORCH_JOB_ID BORG_ORCH_ARCHIVE BORG_ORCH_POLICY_TYPE BORG_ORCH_STATUS BORG_ORCH_EXIT\nexec /bin/sh -c 'start '\\''it'\\''' </dev/null >&2\n",
    );
    assert.throws(() => plan.postHook!(-1), ScriptError);
  });

  it('refuses what pull mode cannot do, saying why', () => {
    assert.throws(() => buildBackupScript(backupSpec({ policyType: 'proxmox', modePull: true, options: {} })), PullModeUnsupportedError);
    assert.throws(() => buildBackupScript(backupSpec({ modePull: true, options: { folders: ['/a'], excludes: ['re:x'] } })), /regular expression/);
  });
});

describe('refusals', () => {
  it('hooks and piped commands only where the relay allows them', () => {
    assert.throws(() => buildBackupScript(backupSpec({ preHook: 'x' })), /does not allow hooks/);
    assert.throws(() => buildBackupScript(backupSpec({ postHook: 'x' }), { allowPipedCommands: true }), /does not allow hooks/);
    assert.throws(() => buildBackupScript(backupSpec({ policyType: 'piped', options: { command: 'x' } })), /Piped commands are not allowed/);
  });

  it('bad archive names, locations, compression, missing passphrase', () => {
    assert.throws(() => buildBackupScript(backupSpec({ archiveName: 'a\nb' })), /control character/);
    assert.throws(() => buildBackupScript(backupSpec({ archiveName: 'a/b' })), /contains "\/"/);
    assert.throws(() => buildBackupScript(backupSpec({ repository: repositorySpec({ location: '/a::b' }) })), /"::"/);
    assert.throws(() => buildBackupScript(backupSpec({ repository: repositorySpec({ location: '/a\nb' }) })), /control character/);
    assert.throws(() => buildBackupScript(backupSpec({ compression: 'lz4 --x' })), /compression spec/);
    assert.throws(() => buildBackupScript(backupSpec({ repository: repositorySpec({ passphraseSealed: null }) })), /has no passphrase/);
  });
});

describe('exit codes', () => {
  it('outcome status for the post_hook', () => {
    assert.deepEqual([0, 1, 2, 96, 137].map(outcomeStatus), ['success', 'warning', 'failure', 'failure', 'failure']);
  });

  it('pull: one code from pre_hook, source and sink', () => {
    const p = (preHook: number | null, source: number | null, sink: number | null, format: 'tar' | 'raw' = 'tar') => pullExitCode({ preHook, source, sink, format });
    assert.equal(p(3, null, null), EXIT.PRE_HOOK_FAILED);
    assert.equal(p(0, 0, 0), 0);
    assert.equal(p(null, 0, 1), 1);
    assert.equal(p(null, 1, 0), 1, 'tar: a file changed while read is a warning');
    assert.equal(p(null, 1, 0, 'raw'), EXIT.SOURCE_FAILED, 'a dump that exits 1 failed');
    assert.equal(p(null, 2, 0), EXIT.SOURCE_FAILED);
    assert.equal(p(null, 0, 2), 2);
    assert.equal(p(null, 141, 2), 2, 'borg failing first makes the source die of SIGPIPE: borg is the cause');
    assert.equal(p(null, EXIT.NOTHING_TO_BACK_UP, 0), EXIT.NOTHING_TO_BACK_UP);
    assert.equal(p(null, EXIT.SNAPSHOT_CLEANUP_FAILED, 0), EXIT.SNAPSHOT_CLEANUP_FAILED);
    assert.equal(p(null, null, 0), EXIT.SOURCE_FAILED);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Hostile values, run for real in /bin/sh against stand-in programs that record their argv.   */

const STUBS = {
  borg: [
    'n=$(ls "$STATE" | grep -c "^borg\\.argv")',
    'printf "%s\\0" "$@" >"$STATE/borg.argv.$n"',
    'printf "%s" "${BORG_PASSPHRASE-UNSET}" >"$STATE/borg.pass"',
    'case " $* " in *" --content-from-command "*)',
    '  seen=0',
    '  while [ $# -gt 0 ]; do if [ "$seen" = 1 ]; then shift; break; fi; [ "$1" = -- ] && seen=1; shift; done',
    '  "$@" >"$STATE/content" || exit 2 ;;',
    'esac',
    'case " $* " in *" - ") cat >"$STATE/stdin-data" ;; esac',
    'echo "{}"',
  ].join('\n'),
  mysqldump: 'printf "%s\\0" "$@" >"$STATE/mysqldump.argv"; printf "%s|%s" "${MYSQL_PWD-UNSET}" "${BORG_PASSPHRASE-UNSET}" >"$STATE/mysqldump.env"; echo "-- dump"',
  runuser: 'printf "%s\\0" "$@" >"$STATE/runuser.argv"; shift 3; exec "$@"',
  pg_dump: 'printf "%s\\0" "$@" >>"$STATE/pg_dump.argv"; printf -- "-- %s\\n" "$3"',
  tar: 'printf "%s\\0" "$@" >"$STATE/tar.argv"; printf TARDATA',
};

const WORDS = [
  "it's",
  '"dq"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED',
  '&& touch PWNED',
  '| touch PWNED',
  '${IFS}touch${IFS}PWNED',
  '$HOME',
  '*',
  '?',
  '[a-z]*',
  '~root',
  '!!',
  '#c',
  '\\',
  'ünïcödé ✓ 🔑 日本語',
  ' sp ',
  '--dry-run',
];
const PASSPHRASE = "pass phrase $(touch PWNED) 'q'";
const MYSQL_PASSWORD = 'my `touch PWNED` pw';

function hostileSetup() {
  const dir = tempDir('hostile');
  const state = path.join(dir, 'state');
  mkdirSync(state);
  const bin = stubBin(dir, STUBS);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STATE: state };
  const at = (s: string) => s.replaceAll('PWNED', path.join(dir, 'PWNED'));
  const argv = (name: string) => readFileSync(path.join(state, name), 'utf8').split('\0').slice(0, -1);
  const pwned = () => existsSync(path.join(dir, 'PWNED')) || existsSync('/PWNED') || readdirSync(dir).some((f) => f.includes('PWNED'));
  const spec = (over: Partial<BackupSpec>) =>
    backupSpec({
      // No "/" in an archive name: its markers are relative (the script runs in /, checked too).
      archiveName: "-arch $(touch PWNED) 'q' `touch PWNED` ü;",
      repository: repositorySpec({ location: at("/repo $(touch PWNED) 'q' ;`touch PWNED`") }),
      preHook: 'printf "%s" "$BORG_ORCH_ARCHIVE" >"$STATE/pre-hook"',
      postHook: 'printf "%s %s" "$BORG_ORCH_STATUS" "${BORG_PASSPHRASE-UNSET}" >"$STATE/post-hook"',
      ...over,
    });
  return { dir, state, env, at, argv, pwned, spec };
}

const allowAll = { allowHooks: true, allowPipedCommands: true };
const CREATE = ['create', '--log-json', '--json', '--progress', '--compression=lz4'];

describe('hostile values reach the programs literally and never run', () => {
  it('folders, push: every folder, exclude, the repository and archive name', async () => {
    const h = hostileSetup();
    const folders = [...WORDS.map((w) => h.at(`/srv/${w}`)), '/-rf'];
    const excludes = [...WORDS.map(h.at), '-x', h.at('sh:/srv/$(touch PWNED)/*')];
    const spec = h.spec({ options: { folders, excludes } });
    const step = push(buildBackupScript(spec, allowAll));
    assert.ok(!unquotedText(step.script).includes('PWNED'), 'every hostile value is inside quotes');
    assert.ok(!step.script.includes(PASSPHRASE));
    const r = await runScript(step.script, { env: h.env, cwd: h.dir, stdin: secretLines([PASSPHRASE]) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.argv('borg.argv.0'), [...CREATE, ...excludes.map((e) => `--exclude=${e}`), '--', `${spec.repository.location}::${spec.archiveName}`, ...folders]);
    assert.equal(readFileSync(path.join(h.state, 'borg.pass'), 'utf8'), PASSPHRASE, 'borg got the passphrase from stdin');
    assert.equal(readFileSync(path.join(h.state, 'pre-hook'), 'utf8'), spec.archiveName);
    assert.equal(readFileSync(path.join(h.state, 'post-hook'), 'utf8'), 'success UNSET', 'hooks never see the passphrase');
    assert.ok(!h.pwned());
  });

  it('mysql, push: user and databases as argv, password only in the dump\'s environment', async () => {
    const h = hostileSetup();
    const databases = WORDS.filter((w) => !w.startsWith('-')).map(h.at);
    const spec = h.spec({ policyType: 'mysql', options: { user: h.at("u'$(touch PWNED)"), databases }, sealedSecrets: { password: 'sealed-pw' } });
    const step = push(buildBackupScript(spec, allowAll));
    assert.ok(!unquotedText(step.script).includes('PWNED'));
    const r = await runScript(step.script, { env: h.env, cwd: h.dir, stdin: secretLines([PASSPHRASE, MYSQL_PASSWORD]) });
    assert.equal(r.code, 0, r.stderr);
    const dump = ['--single-transaction', '--routines', '--events', `--user=${h.at("u'$(touch PWNED)")}`, '--databases', '--', ...databases];
    assert.deepEqual(h.argv('borg.argv.0'), [
      ...CREATE,
      '--content-from-command',
      '--stdin-name=mysql-databases.sql',
      '--',
      `${spec.repository.location}::${spec.archiveName}`,
      '/bin/sh',
      '-c',
      sourceWrapper(['mysqldump', ...dump]),
      'borg-orchestrator-source',
      'mysqldump',
    ]);
    assert.deepEqual(h.argv('mysqldump.argv'), dump);
    assert.equal(readFileSync(path.join(h.state, 'mysqldump.env'), 'utf8'), `${MYSQL_PASSWORD}|UNSET`, 'MYSQL_PWD set, BORG_PASSPHRASE not');
    assert.equal(readFileSync(path.join(h.state, 'content'), 'utf8'), '-- dump\n');
    assert.ok(!h.pwned());
  });

  it('postgresql, push: several databases through runuser and the constant loop', async () => {
    const h = hostileSetup();
    const databases = WORDS.filter((w) => !w.startsWith('-')).map(h.at);
    const step = push(buildBackupScript(h.spec({ policyType: 'postgresql', options: { databases } }), allowAll));
    assert.ok(!unquotedText(step.script).includes('PWNED'));
    const r = await runScript(step.script, { env: h.env, cwd: h.dir, stdin: secretLines([PASSPHRASE]) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.argv('pg_dump.argv'), databases.flatMap((d) => ['--create', '--', d]));
    assert.equal(readFileSync(path.join(h.state, 'content'), 'utf8'), databases.map((d) => `-- ${d}\n`).join(''));
    assert.ok(!h.pwned());
  });

  it('a failing dump fails the backup and says which program failed', async () => {
    const h = hostileSetup();
    stubBin(h.dir, { mysqldump: 'echo partial; exit 3' });
    const step = push(buildBackupScript(h.spec({ policyType: 'mysql', options: {} }), allowAll));
    const r = await runScript(step.script, { env: h.env, cwd: h.dir, stdin: secretLines([PASSPHRASE]) });
    assert.equal(r.code, 2, 'borg exits 2 when its --content-from-command fails');
    assert.match(r.stderr, /"msgid": "SourceFailed", "message": "mysqldump exited with status 3"/);
    assert.equal(readFileSync(path.join(h.state, 'post-hook'), 'utf8'), 'failure UNSET');
  });

  it('a failing pre_hook skips borg, exits 96, and the post_hook still runs', async () => {
    const h = hostileSetup();
    const step = push(buildBackupScript(h.spec({ preHook: 'exit 1' }), allowAll));
    const r = await runScript(step.script, { env: h.env, cwd: h.dir, stdin: secretLines([PASSPHRASE]) });
    assert.equal(r.code, EXIT.PRE_HOOK_FAILED);
    assert.match(r.stderr, /"msgid": "PreHookFailed", "message": "pre_hook exited with status 1; the backup did not run"/);
    assert.ok(!existsSync(path.join(h.state, 'borg.argv.0')), 'borg did not run');
    assert.equal(readFileSync(path.join(h.state, 'post-hook'), 'utf8'), 'failure UNSET');
  });

  it('pull, folders: tar gets the translated excludes and ./ paths; borg import-tar reads the data after its secret', async () => {
    const h = hostileSetup();
    const folders = [...WORDS.map((w) => h.at(`/srv/${w}`)), '/-rf'];
    const excludes = [...WORDS.filter((w) => w !== '\\').map(h.at), '-x'];
    const spec = h.spec({ modePull: true, options: { folders, excludes } });
    const plan = pull(buildBackupScript(spec, allowAll));
    for (const step of [plan.preHook!, plan.source, plan.sink, plan.postHook!(0)]) assert.ok(!unquotedText(step.script).includes('PWNED'));
    const src = await runScript(plan.source.script, { env: h.env, cwd: h.dir });
    assert.equal(src.code, 0, src.stderr);
    assert.equal(src.stdout.toString(), 'TARDATA');
    assert.deepEqual(h.argv('tar.argv'), [
      '--create',
      '--file=-',
      '--directory=/',
      '--format=pax',
      '--transform=s,^\\./,,S',
      '--anchored',
      '--wildcards',
      '--wildcards-match-slash',
      ...excludes.map((e) => `--exclude=./${e.replace(/^\/+/, '')}`),
      '--',
      ...folders.map((f) => `.${f}`),
    ]);
    const sink = await runScript(plan.sink.script, { env: h.env, cwd: h.dir, stdin: Buffer.concat([Buffer.from(secretLines([PASSPHRASE])), src.stdout]) });
    assert.equal(sink.code, 0, sink.stderr);
    assert.deepEqual(h.argv('borg.argv.0'), ['import-tar', ...CREATE.slice(1), '--', `${spec.repository.location}::${spec.archiveName}`, '-']);
    assert.equal(readFileSync(path.join(h.state, 'stdin-data'), 'utf8'), 'TARDATA');
    assert.equal(readFileSync(path.join(h.state, 'borg.pass'), 'utf8'), PASSPHRASE);
    const post = await runScript(plan.postHook!(1).script, { env: h.env, cwd: h.dir });
    assert.equal(post.code, 0);
    assert.equal(readFileSync(path.join(h.state, 'post-hook'), 'utf8'), 'warning UNSET');
    assert.ok(!h.pwned());
  });

  it('pull, mysql: the client reads only the database password, the relay only the passphrase', async () => {
    const h = hostileSetup();
    const plan = pull(buildBackupScript(h.spec({ modePull: true, policyType: 'mysql', options: { databases: [h.at('d $(touch PWNED)')] }, sealedSecrets: { password: 'x' } }), allowAll));
    const src = await runScript(plan.source.script, { env: h.env, cwd: h.dir, stdin: secretLines([MYSQL_PASSWORD]) });
    assert.equal(src.code, 0, src.stderr);
    assert.equal(readFileSync(path.join(h.state, 'mysqldump.env'), 'utf8'), `${MYSQL_PASSWORD}|UNSET`);
    assert.deepEqual(h.argv('mysqldump.argv'), ['--single-transaction', '--routines', '--events', '--databases', '--', h.at('d $(touch PWNED)')]);
    assert.ok(!h.pwned());
  });
});
