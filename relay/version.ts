/** Version the relay reports when pairing and in hello. */
export const RELAY_VERSION = '0.1.0';
