/**
 * Hypervisor policy types with real parts, through the public API: wrangler dev, the relay
 * as its own process, a real sshd on 127.0.0.1, Debian's borg. The hypervisors are
 * STAND-INS (test/system/support/standins.mjs), first on the PATH of the relay's SSH sessions:
 * - a stand-in `vzdump` writing a known file per vmid, as `vzdump <vmid> --stdout` would;
 * - a stand-in `virsh` keeping domains and their disks in a JSON file: disk-only snapshots
 *   move a disk onto an overlay file, blockcommit moves it back.
 * What is checked is what the relay's scripts do with them (relay/borg/virt.ts): the calls,
 * the archive (borg list / extract run directly), and the state left behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { archiveItems, archiveNames, assertNoPwned, assertNowhere, assertSuccessful, extractFile, runPolicy } from './support/backup-checks.mjs';
import { startBackupWorld } from './support/backup-world.mjs';
import { standinCalls, virshState, writeVirsh, writeVzdump } from './support/standins.mjs';

const PORT = 8790;
const PASSPHRASE = "virt pass $(touch PWNED) 'q' `x` ü ;";
const HOSTILE_DOMAIN = "web 'q' $(touch PWNED) ü";
let dir;
let bin;
let images;
let w;
let client;
let pushRepo;
let pullRepo;
let schedule;
const guests = {};
const disks = {};

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'borg-virt-'));
  bin = path.join(dir, 'bin');
  images = path.join(dir, "images 'q' ü");
  mkdirSync(bin);
  mkdirSync(images);
  for (const id of [101, 205]) {
    guests[id] = path.join(dir, `guest-${id}.vma`);
    writeFileSync(guests[id], Buffer.concat([Buffer.from(`VMA guest ${id}\n`), randomBytes(300_000)]));
  }
  writeVzdump(bin, guests);
  for (const name of ['web', 'db', 'stopped']) {
    disks[name] = path.join(images, name === 'web' ? 'disk $(touch PWNED) ü.qcow2' : `${name}.qcow2`);
    writeFileSync(disks[name], randomBytes(name === 'web' ? 1_000_000 : 200_000));
  }
  const xml = (name) => `<domain type='kvm'><name>${name}</name><devices><disk type='file' device='disk'><source file='${name}'/></disk></devices></domain>\n`;
  writeVirsh(bin, {
    [HOSTILE_DOMAIN]: {
      state: 'running',
      xml: xml('web'),
      disks: [
        { type: 'file', device: 'disk', target: 'vda', source: disks.web },
        { type: 'block', device: 'disk', target: 'vdb', source: '/dev/null' },
        { type: 'file', device: 'cdrom', target: 'hdc', source: path.join(dir, 'install.iso') },
      ],
    },
    db: { state: 'running', xml: xml('db'), disks: [{ type: 'file', device: 'disk', target: 'vda', source: disks.db }] },
    stopped: { state: 'shut off', xml: xml('stopped'), disks: [{ type: 'file', device: 'disk', target: 'sda', source: disks.stopped }] },
  });
  w = await startBackupWorld({ port: PORT, sessionEnv: { PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` } });
  client = await w.client();
  pushRepo = await w.repository('push', PASSPHRASE);
  pullRepo = await w.repository('pull', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'yearly', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
});

after(async () => {
  await w?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const policy = (name, repo, fields) => runPolicy(w, { name, schedule: schedule.id, repository: repo.id, clients: [client.id], ...fields });
const items = (repo, archive) => archiveItems(w, repo, PASSPHRASE, archive);
const extract = (repo, archive, member) => extractFile(w, repo, PASSPHRASE, archive, member);
const callsOf = (tool) => standinCalls(bin).filter((c) => c[0] === tool);

describe('proxmox', () => {
  test('push: one vzdump stream per guest into one archive, byte for byte, as the stand-in was asked', async () => {
    const { backup } = await policy('proxmox', pushRepo, { type: 'proxmox', options: { vmids: { [client.id]: [205, 101] } } });
    await assertSuccessful(w, backup);
    assert.deepEqual(
      items(pushRepo, backup.archive_name).map((i) => i.path),
      ['vzdump-qemu-101.vma', 'vzdump-qemu-205.vma'],
    );
    for (const id of [101, 205]) assert.deepEqual(extract(pushRepo, backup.archive_name, `vzdump-qemu-${id}.vma`), readFileSync(guests[id]), `guest ${id}`);
    assert.deepEqual(callsOf('vzdump'), [
      ['vzdump', '205', '--mode', 'snapshot', '--stdout', '1'],
      ['vzdump', '101', '--mode', 'snapshot', '--stdout', '1'],
    ]);
  });

  test('pull: refused by the relay with a clear message; vzdump never runs; no archive', async () => {
    const before = callsOf('vzdump').length;
    const { backup } = await policy('proxmox pull', pullRepo, { type: 'proxmox', mode_pull: true, options: { vmids: { [client.id]: [101] } } });
    assert.equal(backup.status, 'failed');
    assert.match(backup.explanation, /proxmox policies cannot run in pull mode/);
    assert.match(backup.explanation, /use push mode/);
    assert.equal(callsOf('vzdump').length, before);
    assert.ok(!archiveNames(w, pullRepo, PASSPHRASE).some((n) => n.startsWith('proxmox-')));
  });
});

describe('vm (libvirt)', () => {
  /** The virsh calls made since the n-th. */
  const virshSince = (n) => callsOf('virsh').slice(n);
  const imageFiles = () => readdirSync(images).sort();

  test('push, listed domains: XML and file disks byte for byte; a running domain is snapshotted and committed back', async () => {
    const start = callsOf('virsh').length;
    const { backup } = await policy('vm push', pushRepo, { type: 'vm', options: { domains: { [client.id]: [HOSTILE_DOMAIN, 'stopped'] } } });
    await assertSuccessful(w, backup);
    const listed = items(pushRepo, backup.archive_name).filter((i) => i.type !== 'd');
    assert.deepEqual(listed.map((i) => i.path).sort(), ['libvirt/domain-1.xml', 'libvirt/domain-2.xml', disks.stopped.slice(1), disks.web.slice(1)].sort());
    assert.deepEqual(extract(pushRepo, backup.archive_name, disks.web.slice(1)), readFileSync(disks.web));
    assert.deepEqual(extract(pushRepo, backup.archive_name, disks.stopped.slice(1)), readFileSync(disks.stopped));
    assert.equal(extract(pushRepo, backup.archive_name, 'libvirt/domain-1.xml').toString(), virshState(bin).domains[HOSTILE_DOMAIN].xml);
    assert.equal(extract(pushRepo, backup.archive_name, 'libvirt/domain-2.xml').toString(), virshState(bin).domains.stopped.xml);

    const calls = virshSince(start);
    const snapshots = calls.filter((c) => c[1] === 'snapshot-create-as');
    assert.equal(snapshots.length, 1, 'only the running domain is snapshotted');
    assert.deepEqual(snapshots[0].slice(0, 4), ['virsh', 'snapshot-create-as', '--domain', HOSTILE_DOMAIN]);
    assert.match(snapshots[0][5], new RegExp(`^borg-orchestrator-${backup.id}-\\d+$`));
    assert.deepEqual(snapshots[0].slice(6), ['--disk-only', '--atomic', '--no-metadata']);
    const commits = calls.filter((c) => c[1] === 'blockcommit');
    assert.deepEqual(commits, [['virsh', 'blockcommit', '--domain', HOSTILE_DOMAIN, '--path', 'vda', '--active', '--pivot', '--wait']]);
    assert.ok(calls.indexOf(snapshots[0]) < calls.indexOf(commits[0]));
    // Back on its image, the overlay deleted; the other disks untouched.
    const web = virshState(bin).domains[HOSTILE_DOMAIN].disks;
    assert.deepEqual(web.map((k) => [k.target, k.source, k.base]), [
      ['vda', disks.web, undefined],
      ['vdb', '/dev/null', undefined],
      ['hdc', path.join(dir, 'install.iso'), undefined],
    ]);
    assert.deepEqual(imageFiles(), ['db.qcow2', path.basename(disks.web), 'stopped.qcow2'].sort());
  });

  test('pull, all running domains (virsh list): tar on the client into import-tar; images byte for byte; snapshots undone', async () => {
    const start = callsOf('virsh').length;
    const { backup } = await policy('vm pull', pullRepo, { type: 'vm', mode_pull: true, options: {} });
    await assertSuccessful(w, backup);
    assert.match(await w.stdoutText(backup.id), /pull mode/);
    const listed = items(pullRepo, backup.archive_name).filter((i) => i.type !== 'd');
    assert.deepEqual(listed.map((i) => i.path).sort(), ['libvirt/domain-1.xml', 'libvirt/domain-2.xml', disks.db.slice(1), disks.web.slice(1)].sort());
    for (const name of ['web', 'db']) assert.deepEqual(extract(pullRepo, backup.archive_name, disks[name].slice(1)), readFileSync(disks[name]), name);
    const calls = virshSince(start);
    assert.deepEqual(calls[0], ['virsh', 'list', '--name']);
    assert.deepEqual(
      calls.filter((c) => c[1] === 'snapshot-create-as').map((c) => c[3]),
      [HOSTILE_DOMAIN, 'db'],
    );
    assert.deepEqual(
      calls.filter((c) => c[1] === 'blockcommit').map((c) => c[3]),
      [HOSTILE_DOMAIN, 'db'],
    );
    for (const d of Object.values(virshState(bin).domains)) for (const k of d.disks) assert.equal(k.base, undefined, 'no disk left on an overlay');
    assert.deepEqual(imageFiles(), ['db.qcow2', path.basename(disks.web), 'stopped.qcow2'].sort());
  });
});

describe('nothing leaks, nothing hostile ran', () => {
  test('the passphrase is in no job output, job record, or the relay log; no PWNED', async () => {
    await assertNowhere(w, PASSPHRASE, [`/repositories/${pushRepo.id}`]);
    assertNoPwned([w.root, dir, images, bin]);
  });
});
