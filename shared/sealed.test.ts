import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode } from './encoding';
import { generateSealingKeyPair, importSealingPublicKey, isSealed, open, seal, SealError } from './sealed';

describe('sealed secrets', () => {
  it('opens with the relay private key only', async () => {
    const relay = await generateSealingKeyPair();
    const other = await generateSealingKeyPair();
    const text = 'pa$$ "word" \n ünïcode 🔑';
    const sealed = await seal(relay.publicKey, text);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('word');
    expect(await open(relay.privateKey, sealed)).toBe(text);
    await expect(open(other.privateKey, sealed)).rejects.toBeInstanceOf(SealError);
  });

  it('never seals the same value to the same text twice', async () => {
    const relay = await generateSealingKeyPair();
    expect(await seal(relay.publicKey, 'x')).not.toBe(await seal(relay.publicKey, 'x'));
  });

  it('refuses tampered values and malformed keys', async () => {
    const relay = await generateSealingKeyPair();
    const sealed = await seal(relay.publicKey, 'secret');
    // Flip one bit of the ciphertext itself (editing the last base64 character can touch only padding bits).
    const dot = sealed.lastIndexOf('.');
    const ct = base64urlDecode(sealed.slice(dot + 1));
    ct[0]! ^= 1;
    await expect(open(relay.privateKey, sealed.slice(0, dot + 1) + base64urlEncode(ct))).rejects.toBeInstanceOf(SealError);
    await expect(open(relay.privateKey, 'sealed:v1:nope')).rejects.toBeInstanceOf(SealError);
    await expect(importSealingPublicKey('not-a-key')).rejects.toBeInstanceOf(SealError);
    await expect(importSealingPublicKey(relay.privateKey)).rejects.toBeInstanceOf(SealError);
  });
});
