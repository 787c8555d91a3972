import { describe, expect, it } from 'vitest';
import { get, setupAdmin } from './helpers';

describe('smoke', () => {
  it('answers ping and creates the first admin', async () => {
    const ping = await get('/ping');
    expect(ping.status).toBe(200);
    expect(ping.body.setup_needed).toBe(true);
    const admin = await setupAdmin();
    const me = await get('/me', admin);
    expect(me.status, me.text).toBe(200);
    expect(me.body.role).toBe('admin');
  });
});
