/**
 * Node 20's @types/node exposes WebCrypto as `crypto.webcrypto` but not the global
 * type names (CryptoKey, CryptoKeyPair, SubtleCrypto) that shared/ uses so that the
 * same module compiles for the Worker, the browser and the relay. At run time Node 20
 * has the global `crypto` with the same objects.
 */
import type { webcrypto } from 'node:crypto';

declare global {
  type CryptoKey = webcrypto.CryptoKey;
  type CryptoKeyPair = webcrypto.CryptoKeyPair;
  type SubtleCrypto = webcrypto.SubtleCrypto;
}
