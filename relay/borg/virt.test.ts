/**
 * The vm (libvirt) steps run for real in /bin/sh against a stand-in `virsh` (named as such:
 * it keeps domain state in files and behaves like virsh for the subcommands used) and a
 * stand-in `borg` that records its argv; pull mode uses the real GNU tar. Checked: the images
 * read are the base images, only running domains are snapshotted, every overlay is committed
 * back and deleted, nothing else is ever deleted, and failures give the documented codes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildBackupScript } from './create';
import { EXIT } from './remote-script';
import { backupSpec, repositorySpec, runScript, stubBin, tempDir, unquotedText } from './test-helpers';
import { proxmoxPushBody, snapshotName } from './virt';

const DOM1 = "web 1 $(touch PWNED) 'q' `x`";
const DOM2 = 'db;2 ü';

const VIRSH = String.raw`
cmd=$1; shift
dom=; tgt=
while [ $# -gt 0 ]; do case $1 in --domain) dom=$2; shift 2 ;; --path) tgt=$2; shift 2 ;; *) shift ;; esac; done
key=$(printf %s "$dom" | md5sum | cut -c1-8)
printf '%s|%s|%s\n' "$cmd" "$dom" "$tgt" >>"$STATE/virsh.log"
case $cmd in
  list) printf '%s\n' "$DOM1" "$DOM2" ;;
  dumpxml) printf '<domain><name>%s</name></domain>\n' "$dom" ;;
  domstate) if [ "$dom" = "$DOM1" ]; then printf 'running\n\n'; else printf 'shut off\n\n'; fi ;;
  domblklist)
    printf ' Type   Device   Target   Source\n------------------------------------------------\n'
    for t in vda vdb; do
      src="$IMG/$key-$t base.qcow2"
      if [ -e "$STATE/$key-snap" ] && [ ! -e "$STATE/$key-$t-committed" ]; then src="$IMG/$key-$t.overlay"; fi
      printf ' file   disk     %s      %s\n' "$t" "$src"
    done
    printf ' file   cdrom    sda      -\n' ;;
  snapshot-create-as) : >"$STATE/$key-snap"; for t in vda vdb; do : >"$IMG/$key-$t.overlay"; done; echo 'Domain snapshot created' ;;
  blockcommit) [ -z "$FAIL_COMMIT" ] || exit 1; : >"$STATE/$key-$tgt-committed"; echo 'Successfully pivoted' ;;
  *) exit 2 ;;
esac`;

const BORG = String.raw`
printf '%s\0' "$@" >"$STATE/borg.argv"
ls libvirt >"$STATE/borg.xml-files"
seen=0
for a do
  if [ "$seen" = 2 ]; then case $a in /*) [ -r "$a" ] || exit 2 ;; esac
  elif [ "$a" = -- ]; then seen=1
  elif [ "$seen" = 1 ]; then seen=2
  fi
done
printf '{}\n'`;

const key = (d: string) => createHash('md5').update(d).digest('hex').slice(0, 8);

function setup() {
  const dir = tempDir('vm');
  const state = path.join(dir, 'state');
  const img = path.join(dir, 'img');
  mkdirSync(state);
  mkdirSync(img);
  for (const d of [DOM1, DOM2]) for (const t of ['vda', 'vdb']) writeFileSync(path.join(img, `${key(d)}-${t} base.qcow2`), `image ${d} ${t}`);
  const bin = stubBin(dir, { virsh: VIRSH, borg: BORG });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STATE: state, IMG: img, DOM1, DOM2 };
  return { dir, state, img, env };
}

const vmSpec = (modePull: boolean, domains: Record<string, string[]>) =>
  backupSpec({ policyType: 'vm', options: { domains }, modePull, repository: repositorySpec({ encryption: 'none', passphraseSealed: null, location: '/r' }) });

describe('vm through a stand-in virsh', () => {
  it('push: snapshots the running domain, backs up XML and base images, commits back, deletes only overlays', async () => {
    const { dir, state, img, env } = setup();
    const plan = buildBackupScript(vmSpec(false, { '7': [DOM1, DOM2] }));
    assert.equal(plan.mode, 'push');
    if (plan.mode !== 'push') return;
    assert.ok(!unquotedText(plan.backup.script).includes('PWNED'), 'domain names appear only quoted');
    const r = await runScript(plan.backup.script, { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const argv = readFileSync(path.join(state, 'borg.argv'), 'utf8').split('\0').slice(0, -1);
    const paths = argv.slice(argv.indexOf('--') + 2);
    assert.deepEqual(paths, [
      'libvirt',
      ...[DOM1, DOM2].flatMap((d) => ['vda', 'vdb'].map((t) => path.join(img, `${key(d)}-${t} base.qcow2`))),
    ]);
    assert.equal(readFileSync(path.join(state, 'borg.xml-files'), 'utf8'), 'domain-1.xml\ndomain-2.xml\n');
    const log = readFileSync(path.join(state, 'virsh.log'), 'utf8').trim().split('\n');
    assert.deepEqual(log.filter((l) => l.startsWith('snapshot-create-as')), [`snapshot-create-as|${DOM1}|`]);
    assert.deepEqual(log.filter((l) => l.startsWith('blockcommit')), [`blockcommit|${DOM1}|vda`, `blockcommit|${DOM1}|vdb`]);
    assert.deepEqual(readdirSync(img).sort(), [DOM1, DOM2].flatMap((d) => ['vda', 'vdb'].map((t) => `${key(d)}-${t} base.qcow2`)).sort(), 'overlays gone, images kept');
    assert.ok(!existsSync(path.join(dir, 'PWNED')) && !existsSync('/PWNED'));
  });

  it('push: a failed block commit exits 93 and deletes nothing', async () => {
    const { dir, img, env } = setup();
    const plan = buildBackupScript(vmSpec(false, { '7': [DOM1] }));
    if (plan.mode !== 'push') return assert.fail('push expected');
    const r = await runScript(plan.backup.script, { env: { ...env, FAIL_COMMIT: '1' }, cwd: dir });
    assert.equal(r.code, EXIT.SNAPSHOT_CLEANUP_FAILED);
    assert.match(r.stderr, /"msgid": "SnapshotCleanupFailed"/);
    assert.match(r.stderr, /blockcommit of vda failed; it still runs on/);
    assert.equal(readdirSync(img).filter((f) => f.endsWith('.overlay')).length, 2, 'the overlays the domain runs on are kept');
  });

  it('push: a domain that does not exist fails its source (95) but the others are backed up', async () => {
    const { dir, state, env } = setup();
    const plan = buildBackupScript(vmSpec(false, { '7': ['missing', DOM2] }));
    if (plan.mode !== 'push') return assert.fail('push expected');
    const virsh = VIRSH.replace('dumpxml) printf', 'dumpxml) [ "$dom" != missing ] || exit 1; printf');
    stubBin(dir, { virsh });
    const r = await runScript(plan.backup.script, { env, cwd: dir });
    assert.equal(r.code, EXIT.SOURCE_FAILED);
    assert.match(r.stderr, /libvirt domain missing: dumpxml failed/);
    assert.equal(readFileSync(path.join(state, 'borg.xml-files'), 'utf8'), 'domain-2.xml\n');
  });

  it('pull: the running domains as a tar stream on stdout (real tar), snapshots undone after', async () => {
    const { dir, img, env } = setup();
    const plan = buildBackupScript(vmSpec(true, {}));
    if (plan.mode !== 'pull') return assert.fail('pull expected');
    assert.equal(plan.source.format, 'tar');
    const r = await runScript(plan.source.script, { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    // tar stores a directory's entries in readdir order: compare sorted.
    const names = execFileSync('tar', ['--list', '--file=-'], { input: r.stdout, encoding: 'utf8' }).trim().split('\n').sort();
    const rel = (d: string, t: string) => path.join(img, `${key(d)}-${t} base.qcow2`).slice(1);
    assert.deepEqual(names, ['libvirt/', 'libvirt/domain-1.xml', 'libvirt/domain-2.xml', rel(DOM1, 'vda'), rel(DOM1, 'vdb'), rel(DOM2, 'vda'), rel(DOM2, 'vdb')].sort());
    assert.equal(readdirSync(img).filter((f) => f.endsWith('.overlay')).length, 0);
  });
});

describe('proxmox text', () => {
  it('lists each vmid with a quoted FIFO name, vmid before --stdout', () => {
    const lines = proxmoxPushBody([101, 205], ['borg', 'create', '--read-special', '--', '/r::a']);
    assert.ok(lines.includes('  if [ -e /etc/pve/lxc/101.conf ]; then set -- "$@" vzdump-lxc-101.tar; else set -- "$@" vzdump-qemu-101.vma; fi'));
    assert.ok(lines.includes('        ( unset BORG_PASSPHRASE; exec vzdump "$orch_id" --mode snapshot --stdout 1 ) >&5 </dev/null'));
    assert.ok(lines.includes('    borg create --read-special -- /r::a "$@" </dev/null &'));
    assert.throws(() => proxmoxPushBody([0], []), RangeError);
    assert.equal(snapshotName(12, 3), 'borg-orchestrator-12-3');
  });

  it('all guests: from the node\'s guest config files', () => {
    const text = proxmoxPushBody('all', ['borg']).join('\n');
    assert.match(text, /for orch_f in \/etc\/pve\/qemu-server\/\*\.conf \/etc\/pve\/lxc\/\*\.conf; do/);
  });
});
