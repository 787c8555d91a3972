/**
 * Stand-ins for hypervisor tools, for system tests: executables put first on the PATH of the
 * relay's SSH sessions (startBackupWorld's `sessionEnv`), in a directory of the test's own.
 * They are not Proxmox or libvirt: they answer the commands relay/borg/virt.ts issues the way
 * the real tools do, with known data, and write every call to `calls.log` (one JSON argv a
 * line) so a test can check what was asked of them.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quote } from '../../../shared/shell-quote.ts';

/** Calls made to the stand-ins so far: [tool, ...args] each. */
export function standinCalls(bin) {
  let text = '';
  try {
    text = readFileSync(path.join(bin, 'calls.log'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * Stand-in for Proxmox's `vzdump`: `vzdump <vmid> --mode snapshot --stdout 1` writes the file
 * `guests[vmid]` to stdout, as `vzdump --stdout` writes a guest's dump; an unknown vmid or
 * other arguments fail (exit 2) with a message on stderr.
 */
export function writeVzdump(bin, guests) {
  const cases = Object.entries(guests).map(([id, file]) => `  ${quote(id)}) exec cat -- ${quote(file)} ;;`);
  const script = [
    '#!/bin/sh',
    '# Stand-in for Proxmox vzdump (tests only).',
    `printf '%s\\n' "$(${quote(process.execPath)} -e 'process.stdout.write(JSON.stringify(["vzdump", ...process.argv.slice(1)]))' -- "$@")" >>${quote(path.join(bin, 'calls.log'))}`,
    '[ "$#" -eq 5 ] && [ "$2 $3 $4 $5" = "--mode snapshot --stdout 1" ] || { echo "stand-in vzdump: unexpected arguments: $*" >&2; exit 2; }',
    'case $1 in',
    ...cases,
    '  *) echo "stand-in vzdump: no guest $1" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n');
  writeFileSync(path.join(bin, 'vzdump'), script);
  chmodSync(path.join(bin, 'vzdump'), 0o755);
}

/**
 * Stand-in for libvirt's `virsh`, for the subcommands virt.ts uses: list --name, dumpxml,
 * domblklist --details, domstate, snapshot-create-as --disk-only --atomic --no-metadata
 * (each file disk moves onto a new overlay file `<image without extension>.<snapshot>`, as
 * libvirt names external snapshots), blockcommit --active --pivot --wait (the disk moves back
 * onto its base image). Domains and their disks live in `virsh-state.json` beside it:
 * `{ domains: { [name]: { state, xml, disks: [{ type, device, target, source, base? }] } } }`.
 */
export function writeVirsh(bin, domains) {
  writeFileSync(path.join(bin, 'virsh-state.json'), JSON.stringify({ domains }, null, 2));
  const program = `#!${process.execPath}
// Stand-in for libvirt virsh (tests only).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const dir = ${JSON.stringify(bin)};
const statePath = path.join(dir, 'virsh-state.json');
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.log'), JSON.stringify(['virsh', ...args]) + '\\n');
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const fail = (m) => { process.stderr.write('error: ' + m + '\\n'); process.exit(1); };
const [cmd, ...rest] = args;
const opt = (name) => { const i = rest.indexOf(name); return i >= 0 ? rest[i + 1] : undefined; };
const flags = (expected) => { for (const f of expected) if (!rest.includes(f)) fail('stand-in virsh ' + cmd + ': missing ' + f); };
const domain = () => { const d = state.domains[opt('--domain')]; if (!d) fail('failed to get domain ' + JSON.stringify(opt('--domain'))); return d; };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
switch (cmd) {
  case 'list':
    flags(['--name']);
    process.stdout.write(Object.entries(state.domains).filter(([, d]) => d.state === 'running').map(([n]) => n + '\\n').join('') + '\\n');
    break;
  case 'dumpxml':
    process.stdout.write(domain().xml);
    break;
  case 'domstate':
    process.stdout.write(domain().state + '\\n\\n');
    break;
  case 'domblklist': {
    flags(['--details']);
    const rows = domain().disks.map((k) => ' ' + [k.type, k.device, k.target, k.source].join('   '));
    process.stdout.write(' Type   Device   Target   Source\\n' + '-'.repeat(40) + '\\n' + rows.join('\\n') + '\\n\\n');
    break;
  }
  case 'snapshot-create-as': {
    flags(['--disk-only', '--atomic', '--no-metadata']);
    const d = domain();
    const name = opt('--name');
    if (!name) fail('snapshot-create-as: no --name');
    if (d.state !== 'running') fail('domain is not running');
    for (const k of d.disks) {
      if (k.type !== 'file' || k.device !== 'disk') continue;
      if (k.base) fail('disk ' + k.target + ' already has an overlay');
      const overlay = k.source.replace(/\\.[^./]*$/, '') + '.' + name;
      fs.writeFileSync(overlay, 'writes of the running guest after the snapshot\\n');
      k.base = k.source;
      k.source = overlay;
    }
    save();
    process.stdout.write('Domain snapshot ' + name + ' created\\n');
    break;
  }
  case 'blockcommit': {
    flags(['--active', '--pivot', '--wait']);
    const d = domain();
    const k = d.disks.find((x) => x.target === opt('--path'));
    if (!k || !k.base) fail('no overlay to commit for ' + JSON.stringify(opt('--path')));
    k.source = k.base;
    delete k.base;
    save();
    process.stdout.write('\\nSuccessfully pivoted\\n');
    break;
  }
  default:
    fail('stand-in virsh: unsupported command ' + JSON.stringify(cmd));
}
`;
  writeFileSync(path.join(bin, 'virsh'), program);
  chmodSync(path.join(bin, 'virsh'), 0o755);
}

/** The current stand-in libvirt state (after the scripts ran). */
export function virshState(bin) {
  return JSON.parse(readFileSync(path.join(bin, 'virsh-state.json'), 'utf8'));
}
