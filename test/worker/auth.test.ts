import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, call, del, get, login, patch, post, secret, setupAdmin, SETUP_TOKEN, tokenFor, userWithRole } from './helpers';


describe('first-run setup', () => {
  it('needs the setup token, creates one admin, then closes', async () => {
    expect((await get('/setup')).body).toEqual({ needed: true });
    const wrong = await post('/setup', { token: 'guess', email: 'a@example.com', password: 'long enough pw' });
    expect(wrong.status).toBe(403);
    const invalid = await post('/setup', { token: SETUP_TOKEN, email: 'not-an-email', password: 'short' });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.error.fields).sort()).toEqual(['email', 'password']);
    expect((await get('/ping')).body.setup_needed).toBe(true);

    const res = await post('/setup', { token: SETUP_TOKEN, email: 'Admin@Example.COM', name: 'A', password: ADMIN_PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: 'admin@example.com', role: 'admin', active: true });
    expect(res.body).not.toHaveProperty('password_hash');
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^__Host-session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);

    const again = await post('/setup', { token: SETUP_TOKEN, email: 'b@example.com', password: ADMIN_PASSWORD });
    expect(again.status).toBe(409);
    expect((await get('/setup')).body).toEqual({ needed: false });
    const { results } = (await env.DB.prepare('SELECT password_hash FROM users').all<{ password_hash: string }>());
    expect(results[0]!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
  });

  it('refuses setup from another site', async () => {
    const res = await call('POST', '/setup', { body: { token: SETUP_TOKEN, email: 'a@example.com', password: ADMIN_PASSWORD }, headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf');
  });
});

describe('login and sessions', () => {
  it('signs in case-insensitively, signs out, and the cookie is dead after logout', async () => {
    await setupAdmin('boss@example.com');
    const wrong = await post('/auth/login', { email: 'boss@example.com', password: 'nope nope nope' });
    expect(wrong.status).toBe(401);
    const unknown = await post('/auth/login', { email: 'ghost@example.com', password: 'nope nope nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);

    const s = await login('BOSS@example.com', ADMIN_PASSWORD);
    expect((await get('/me', s)).body).toMatchObject({ email: 'boss@example.com', auth: 'session' });
    expect((await post('/auth/logout', {}, s)).status).toBe(204);
    expect((await get('/me', s)).status).toBe(401);
  });

  it('throttles failed logins per account with 429', async () => {
    await setupAdmin('victim@example.com');
    for (let i = 0; i < 5; i++) expect((await post('/auth/login', { email: 'victim@example.com', password: `bad-${i}-xxxxx` })).status).toBe(401);
    const blocked = await post('/auth/login', { email: 'victim@example.com', password: ADMIN_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('Retry-After')).toBe('900');
    expect(blocked.body.error.code).toBe('throttled');
  });

  it('throttles failed logins per client address across accounts', async () => {
    await setupAdmin('someone@example.com');
    const from = { 'CF-Connecting-IP': '203.0.113.9' };
    for (let i = 0; i < 20; i++) {
      const r = await call('POST', '/auth/login', { body: { email: `spray${i}@example.com`, password: 'x'.repeat(12) }, headers: from });
      expect(r.status).toBe(401);
    }
    const blocked = await call('POST', '/auth/login', { body: { email: 'someone@example.com', password: ADMIN_PASSWORD }, headers: from });
    expect(blocked.status).toBe(429);
    // Another address is not affected.
    const other = await call('POST', '/auth/login', { body: { email: 'someone@example.com', password: ADMIN_PASSWORD }, headers: { 'CF-Connecting-IP': '203.0.113.10' } });
    expect(other.status).toBe(200);
  });

  it('refuses cookie-authenticated writes without a same-site Origin (CSRF)', async () => {
    const admin = await setupAdmin();
    const noOrigin = await call('POST', '/schedules', { as: admin, body: { name: 'x', crontab: '0 1 * * *' }, headers: { Origin: '' } });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.body.error.code).toBe('csrf');
    const evil = await call('POST', '/schedules', { as: admin, body: { name: 'x', crontab: '0 1 * * *' }, headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect((await get('/schedules', admin)).body.count).toBe(0);
    // A bearer token is not a browser credential: no Origin needed.
    const { token } = await tokenFor(admin, 'write');
    expect((await post('/schedules', { name: 'x', crontab: '0 1 * * *' }, { token })).status).toBe(201);
  });

  it('a password change ends the other sessions and needs the current password', async () => {
    const admin = await setupAdmin();
    const other = await login('admin@example.com', ADMIN_PASSWORD);
    const newPassword = secret('a brand new passphrase');
    const bad = await patch('/me', { password: newPassword, current_password: 'wrong' }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toHaveProperty('current_password');
    const ok = await patch('/me', { password: newPassword, current_password: ADMIN_PASSWORD }, admin);
    expect(ok.status).toBe(200);
    expect((await get('/me', admin)).status).toBe(200);
    expect((await get('/me', other)).status).toBe(401);
    expect((await post('/auth/login', { email: 'admin@example.com', password: ADMIN_PASSWORD })).status).toBe(401);
    await login('admin@example.com', newPassword);
  });

  it('deactivating a user ends their sessions and tokens', async () => {
    const admin = await setupAdmin();
    const op = await userWithRole(admin, 'operator');
    const { token } = await tokenFor(op.session, 'read');
    expect((await get('/me', { token })).status).toBe(200);
    expect((await patch(`/users/${op.id}`, { active: false }, admin)).status).toBe(200);
    expect((await get('/me', op.session)).status).toBe(401);
    expect((await get('/me', { token })).status).toBe(401);
    expect((await post('/auth/login', { email: op.email, password: op.password })).status).toBe(401);
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, and scoped', async () => {
    const admin = await setupAdmin();
    const created = await post('/tokens', { name: 'ci', scope: 'read', expires_in_days: 30 }, admin);
    expect(created.status).toBe(201);
    const token = secret(created.body.token as string);
    expect(token).toMatch(/^bo_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(created.body.prefix)).toBe(true);
    const listed = await get('/tokens', admin);
    expect(listed.body.results[0]).not.toHaveProperty('token');
    const row = await env.DB.prepare('SELECT token_hash FROM api_tokens').first<{ token_hash: string }>();
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(token);

    expect((await get('/me', { token })).body).toMatchObject({ auth: 'token', scope: 'read' });
    const write = await post('/schedules', { name: 'x', crontab: '0 1 * * *' }, { token });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/scope "read"/);
    // last_used is recorded.
    expect((await get(`/tokens/${created.body.id}`, admin)).body.last_used).not.toBeNull();
  });

  it('stop working when revoked or expired, and bad headers are 401', async () => {
    const admin = await setupAdmin();
    const t = await tokenFor(admin, 'write');
    expect((await del(`/tokens/${t.id}`, admin)).status).toBe(204);
    const revoked = await get('/me', { token: t.token });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toMatch(/revoked/);

    const e = await tokenFor(admin, 'write');
    await env.DB.prepare('UPDATE api_tokens SET expires = ? WHERE id = ?').bind(Date.now() - 1000, e.id).run();
    const expired = await get('/me', { token: e.token });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toMatch(/expired/);

    expect((await get('/me', { token: 'bo_AAAAAAAA_' + 'A'.repeat(43) })).status).toBe(401);
    expect((await call('GET', '/me', { headers: { Authorization: 'Basic abc' } })).status).toBe(401);
  });

  it("are private to their owner (others' are 404) and a read token cannot mint a write token", async () => {
    const admin = await setupAdmin();
    const viewer = await userWithRole(admin, 'viewer');
    const mine = await tokenFor(admin, 'write');
    expect((await get(`/tokens/${mine.id}`, viewer.session)).status).toBe(404);
    expect((await del(`/tokens/${mine.id}`, viewer.session)).status).toBe(404);
    expect((await get('/tokens', viewer.session)).body.count).toBe(0);
    const viewerToken = await tokenFor(viewer.session, 'write');
    expect((await get('/me', { token: viewerToken.token })).body.role).toBe('viewer');
    // Even with a write-scope token a viewer still cannot write objects.
    expect((await post('/schedules', { name: 'x', crontab: '0 1 * * *' }, { token: viewerToken.token })).status).toBe(403);
  });
});

describe('throttling under parallel guessing', () => {
  it('at most 5 attempts per account get a password check, however many run at once', async () => {
    await setupAdmin('target@example.com');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call('POST', '/auth/login', { body: { email: 'target@example.com', password: `guess-${i}-xxxxxx` }, headers: { 'CF-Connecting-IP': `198.51.100.${i}` } })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });
});
