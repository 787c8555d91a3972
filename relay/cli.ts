/**
 * Relay command line: `npx tsx relay/cli.ts <command>`.
 *
 * Entry point only: the relay itself (pairing with the orchestrator, running jobs
 * over SSH, sealing secrets) comes in a later version. Every command says so and
 * exits 2, so scripts cannot mistake this build for a working relay.
 */
import process from 'node:process';

interface Command {
  name: string;
  args: string;
  summary: string;
}

const COMMANDS: readonly Command[] = [
  { name: 'pair', args: '', summary: 'Pair this machine with an orchestrator as one of its relays.' },
  { name: 'run', args: '', summary: 'Connect to the orchestrator and run the jobs it sends.' },
  { name: 'status', args: '', summary: 'Show the pairing and connection state of this relay.' },
  { name: 'seal', args: '', summary: 'Seal a secret for the orchestrator.' },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.trim().length));
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.trim().padEnd(width)}  ${c.summary}`);
  return ['Usage: npx tsx relay/cli.ts <command> [arguments]', '', 'Commands:', ...lines, '', 'Options:', '  -h, --help  Show this help.', ''].join('\n');
}

export function main(argv: readonly string[]): number {
  const [command] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(usage());
    return command === undefined ? 2 : 0;
  }
  const known = COMMANDS.find((c) => c.name === command);
  if (!known) {
    process.stderr.write(`relay: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
    return 2;
  }
  process.stderr.write(`relay ${known.name}: not implemented yet in this version.\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
