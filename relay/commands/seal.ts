/**
 * `relay seal`: seals a secret read from standard input (never from argv, which other
 * users can read in `ps`) to this relay's public key, for the API's `*_sealed` fields.
 * Only the first line is taken, without its newline.
 */
import { seal } from '../../shared/sealed';
import { loadConfig } from '../config';

export async function readSecret(input: NodeJS.ReadableStream): Promise<string> {
  let data = '';
  for await (const chunk of input) {
    data += chunk.toString();
    if (data.includes('\n')) break;
  }
  const secret = data.split(/\r?\n/)[0] ?? '';
  if (!secret) throw new Error('No secret on standard input.');
  return secret;
}

export async function sealCommand(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const config = loadConfig();
  return seal(config.sealing.publicKey, await readSecret(input));
}
