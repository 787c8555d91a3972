/**
 * Relay command line: `npx tsx relay/cli.ts <command>`.
 *
 *   pair --url <orchestrator> --token <pairing token>
 *   seal            (reads the secret from standard input)
 *   status
 *   run             (the daemon)
 */
import process from 'node:process';
import { parseArgs } from 'node:util';
import { pair } from './commands/pair';
import { run } from './commands/run';
import { sealCommand } from './commands/seal';
import { status } from './commands/status';

const USAGE = `Usage: npx tsx relay/cli.ts <command> [options]

Commands:
  pair --url <orchestrator> --token <pairing token>
                 Pair this machine with an orchestrator as one of its relays; writes the
                 config ($RELAY_CONFIG_DIR or ~/.config/borg-orchestrator-relay) and prints
                 the SSH public key to install on hosts.
  seal           Seal a secret read from standard input for the orchestrator's API.
  status         Show the pairing and whether the orchestrator answers.
  run            Connect to the orchestrator and run the jobs it sends (until SIGTERM).
                 Environment: RELAY_CONFIG_DIR, RELAY_URL, RELAY_ALLOW_PIPED, RELAY_ALLOW_HOOKS.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'pair': {
      const { values } = parseArgs({ args: [...rest], options: { url: { type: 'string' }, token: { type: 'string' } }, strict: true });
      if (!values.url || !values.token) {
        process.stderr.write(`relay pair: --url and --token are required.\n\n${USAGE}`);
        return 2;
      }
      await pair({ url: values.url, token: values.token });
      return 0;
    }
    case 'seal':
      process.stdout.write(`${await sealCommand()}\n`);
      return 0;
    case 'status':
      return status();
    case 'run':
      return run();
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`relay: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`relay: ${e.message}\n`);
    process.exitCode = 1;
  },
);
