/**
 * Script bodies for the two hypervisor types. Values (vmids, domain names, the snapshot
 * name) reach the script only through `commandLine`; everything else below is constant
 * shell text using variables the script sets itself.
 *
 * proxmox: `vzdump --stdout` writes one guest only, so each guest is one stream. To keep one
 * archive per job (one name, one catalog), each stream gets a FIFO named like Proxmox's own
 * dump files (`vzdump-qemu-<vmid>.vma`, `vzdump-lxc-<vmid>.tar`) in a temporary directory,
 * and `borg create --read-special` is given the FIFOs in order; one background writer runs
 * vzdump for each FIFO in the same order. borg handles its PATH arguments in the order given,
 * so the writer and borg never wait on different FIFOs; if borg stops early, the writer is
 * killed. The vmid goes first (`vzdump <vmid> --stdout 1`): `--stdout` takes an optional value
 * and would swallow a vmid written after it. Stored names: `vzdump-…` at the archive root.
 *
 * vm (libvirt): for each domain (listed, or `virsh list --name`: the running ones), keep its
 * XML, note its file-backed disks, and if it runs take a disk-only external snapshot
 * (`--no-metadata`, `--atomic`) so the VM writes to overlays while borg (or tar in pull mode)
 * reads the now quiet images; then `blockcommit --active --pivot` each disk back and delete
 * the overlays, whatever borg's outcome. A shut-off domain is read as it is. Block devices and
 * cdroms are not backed up. XML files are stored as `libvirt/domain-<n>.xml` (numbered: a
 * domain name is never used as a file name), images under their own paths.
 */
import { commandLine, quote } from '../../shared/shell-quote';
import { EXIT, runInBackground } from './remote-script';

/** Lines that cd into a new temporary directory `$orch_tmp`, run `inner`, then remove it. */
function inTempDir(inner: string[]): string[] {
  return [
    'if orch_tmp=$(mktemp -d); then',
    '  cd "$orch_tmp" || exit 2',
    ...inner.map((l) => `  ${l}`),
    '  cd / && rm -rf -- "$orch_tmp"',
    'else',
    `  orch_log ERROR SourceFailed "could not create a temporary directory"`,
    `  orch_rc=${EXIT.SOURCE_FAILED}`,
    'fi',
  ];
}

/**
 * Push-mode proxmox body. `borgArgv` is `borg create … --read-special -- REPO::ARCHIVE`;
 * the FIFO names are appended as "$@". Sets `orch_rc`.
 */
export function proxmoxPushBody(vmids: number[] | 'all', borgArgv: string[]): string[] {
  const list: string[] = ['set --'];
  if (vmids === 'all') {
    list.push(
      'for orch_f in /etc/pve/qemu-server/*.conf /etc/pve/lxc/*.conf; do',
      '  [ -e "$orch_f" ] || continue',
      '  orch_id=${orch_f##*/}; orch_id=${orch_id%.conf}',
      '  case $orch_f in',
      '    /etc/pve/lxc/*) set -- "$@" "vzdump-lxc-$orch_id.tar" ;;',
      '    *) set -- "$@" "vzdump-qemu-$orch_id.vma" ;;',
      '  esac',
      'done',
    );
  } else {
    for (const id of vmids) {
      if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`Not a vmid: ${id}`);
      list.push(`if [ -e ${quote(`/etc/pve/lxc/${id}.conf`)} ]; then set -- "$@" ${quote(`vzdump-lxc-${id}.tar`)}; else set -- "$@" ${quote(`vzdump-qemu-${id}.vma`)}; fi`);
    }
  }
  return inTempDir([
    ...list,
    'if [ "$#" -eq 0 ]; then',
    `  orch_log ERROR NothingToBackUp "no guest found on this host"`,
    `  orch_rc=${EXIT.NOTHING_TO_BACK_UP}`,
    'elif mkfifo -- "$@"; then',
    '  (',
    '    for orch_f do',
    '      orch_id=${orch_f#vzdump-*-}; orch_id=${orch_id%.*}',
    '      exec 5>"$orch_f"',
    `      ( unset BORG_PASSPHRASE; exec vzdump "$orch_id" ${commandLine(['--mode', 'snapshot', '--stdout', '1'])} ) >&5 </dev/null`,
    '      orch_s=$?',
    '      exec 5>&-',
    '      if [ "$orch_s" -ne 0 ]; then',
    '        orch_log ERROR SourceFailed "vzdump of guest $orch_id exited with status $orch_s"',
    '        : >"$orch_tmp/.failed"',
    '      fi',
    '    done',
    '  ) &',
    '  orch_writer=$!',
    ...runInBackground(`${commandLine(borgArgv)} "$@"`).map((l) => `  ${l}`),
    '  kill "$orch_writer" 2>/dev/null',
    '  wait "$orch_writer"',
    `  if [ -e "$orch_tmp/.failed" ] && [ "$orch_rc" -lt 2 ]; then orch_rc=${EXIT.SOURCE_FAILED}; fi`,
    'else',
    `  orch_rc=${EXIT.SOURCE_FAILED}`,
    'fi',
  ]);
}

/** Snapshot name of a job: integers only. */
export function snapshotName(jobId: number, attempt: number): string {
  return `borg-orchestrator-${jobId}-${attempt}`;
}

/**
 * The vm body. Push: `consume` is `borg create … -- REPO::ARCHIVE` and gets `libvirt` and the
 * images. Pull: `consume` is the tar argv (run in `/`, `./`-relative members); the XML
 * directory is added with `--directory="$orch_tmp"` and the images as `./<path>`. Sets `orch_rc`.
 */
export function vmBody(domains: string[] | 'running', snapshot: string, mode: 'push' | 'pull', consume: string[]): string[] {
  const fail = (what: string) => [
    ...(what === 'dumpxml' ? ['    rm -f -- "$orch_tmp/libvirt/domain-$orch_n.xml"'] : []),
    `    printf 'borg-orchestrator: libvirt domain %s: ${what} failed\\n' "$orch_dom" >&2`,
    `    orch_log ERROR SourceFailed "libvirt domain #$orch_n: ${what} failed"`,
    '    orch_failed=1',
    '    continue',
  ];
  const listing =
    domains === 'running'
      ? `LC_ALL=C virsh list --name </dev/null >"$orch_tmp/domains" || orch_failed=1`
      : `${commandLine(['printf', '%s\\n', ...domains])} >"$orch_tmp/domains"`;
  const addImage = mode === 'push' ? 'set -- "$@" "$orch_source"' : 'set -- "$@" "./${orch_source#/}"';
  const run = mode === 'push' ? `${commandLine(consume)} libvirt "$@"` : `${commandLine(consume)} --directory="$orch_tmp" ./libvirt --directory=/ "$@"`;
  return inTempDir([
    'orch_failed=0',
    'orch_cleanup_failed=0',
    'orch_n=0',
    'mkdir libvirt || exit 2',
    listing,
    'set --',
    'while IFS= read -r orch_dom; do',
    '  [ -n "$orch_dom" ] || continue',
    '  orch_n=$((orch_n + 1))',
    '  if ! virsh dumpxml --domain "$orch_dom" </dev/null >"$orch_tmp/libvirt/domain-$orch_n.xml"; then',
    ...fail('dumpxml'),
    '  fi',
    '  if ! LC_ALL=C virsh domblklist --domain "$orch_dom" --details </dev/null >"$orch_tmp/disks-$orch_n"; then',
    ...fail('domblklist'),
    '  fi',
    '  if [ "$(LC_ALL=C virsh domstate --domain "$orch_dom" </dev/null)" = running ]; then',
    `    if virsh snapshot-create-as --domain "$orch_dom" ${commandLine(['--name', snapshot, '--disk-only', '--atomic', '--no-metadata'])} </dev/null >&2; then`,
    `      printf '%s %s\\n' "$orch_n" "$orch_dom" >>"$orch_tmp/snapshots"`,
    '    else',
    ...fail('snapshot').map((l) => `  ${l}`),
    '    fi',
    '  fi',
    '  while read -r orch_type orch_device orch_target orch_source; do',
    '    [ "$orch_type" = file ] && [ "$orch_device" = disk ] && [ -n "$orch_source" ] || continue',
    `    ${addImage}`,
    '  done <"$orch_tmp/disks-$orch_n"',
    'done <"$orch_tmp/domains"',
    'if [ "$orch_n" -eq 0 ]; then',
    `  orch_log ERROR NothingToBackUp "no libvirt domain to back up"`,
    `  orch_rc=${EXIT.NOTHING_TO_BACK_UP}`,
    'else',
    ...runInBackground(run).map((l) => `  ${l}`),
    'fi',
    // Undo the snapshots whatever happened: pivot each overlaid disk back onto its image.
    'if [ -e "$orch_tmp/snapshots" ]; then',
    '  while read -r orch_n orch_dom; do',
    '    LC_ALL=C virsh domblklist --domain "$orch_dom" --details </dev/null >"$orch_tmp/overlays-$orch_n" || orch_cleanup_failed=1',
    '    while read -r orch_type orch_device orch_target orch_source; do',
    '      [ "$orch_type" = file ] && [ "$orch_device" = disk ] || continue',
    '      orch_base=',
    '      while read -r orch_t orch_d orch_g orch_s; do',
    '        if [ "$orch_g" = "$orch_target" ]; then orch_base=$orch_s; fi',
    '      done <"$orch_tmp/disks-$orch_n"',
    // Only a disk whose source changed has an overlay; never delete anything else.
    '      [ -n "$orch_base" ] && [ "$orch_source" != "$orch_base" ] || continue',
    `      if virsh blockcommit --domain "$orch_dom" --path "$orch_target" ${commandLine(['--active', '--pivot', '--wait'])} </dev/null >&2; then`,
    '        rm -f -- "$orch_source"',
    '      else',
    `        printf 'borg-orchestrator: libvirt domain %s: blockcommit of %s failed; it still runs on %s\\n' "$orch_dom" "$orch_target" "$orch_source" >&2`,
    '        orch_cleanup_failed=1',
    '      fi',
    '    done <"$orch_tmp/overlays-$orch_n"',
    '  done <"$orch_tmp/snapshots"',
    'fi',
    `if [ "$orch_failed" -ne 0 ] && [ "$orch_rc" -lt 2 ]; then orch_rc=${EXIT.SOURCE_FAILED}; fi`,
    'if [ "$orch_cleanup_failed" -ne 0 ]; then',
    `  orch_log ERROR SnapshotCleanupFailed "a snapshot could not be committed back; a domain still runs on an overlay"`,
    `  orch_rc=${EXIT.SNAPSHOT_CLEANUP_FAILED}`,
    'fi',
  ]);
}
