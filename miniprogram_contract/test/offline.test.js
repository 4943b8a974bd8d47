'use strict';
// The client on a scripted `wx`, no server: `node --test test/offline.test.js`.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createClient, ApiError, TOKENS_KEY, MAX_RETRY_AFTER_MS } = require('..');
const { createFakeWx } = require('./wx-fake');

const TOKENS = { access_token: 'a1', refresh_token: 'r1' };

function client(replies, extra) {
  const wx = createFakeWx(replies);
  wx.setStorageSync(TOKENS_KEY, TOKENS);
  const waits = [];
  const api = createClient(
    Object.assign({ baseUrl: 'https://xz.test', wx, sleep: async (ms) => waits.push(ms) }, extra || {})
  );
  return { wx, api, waits };
}

const ok = (body, status) => ({ status: status || 200, body });
const problem = (status, code, extra) => ({ status, body: Object.assign({ code, detail: '中文说明' }, extra || {}) });

test('a write whose answer was lost is sent again with the same Idempotency-Key', async () => {
  const { wx, api } = client([{ fail: 'timeout' }, ok({ id: 7, status: 'reserved' }, 201)]);
  const redemption = await api.redeem(3, 1);
  assert.equal(redemption.id, 7);
  assert.equal(wx.sent.length, 2);
  const [first, second] = wx.sent.map((s) => s.header['Idempotency-Key']);
  assert.ok(first && first === second);
});

test('two writes get two different keys', async () => {
  const { wx, api } = client([ok({ id: 1 }, 201), ok({ id: 2 }, 201)]);
  await api.redeem(3);
  await api.redeem(3);
  assert.notEqual(wx.sent[0].header['Idempotency-Key'], wx.sent[1].header['Idempotency-Key']);
});

test('reads carry no Idempotency-Key', async () => {
  const { wx, api } = client([ok({ items: [], next_cursor: null })]);
  await api.get('/api/v1/shop/goods', { limit: 20 });
  assert.equal(wx.sent[0].header['Idempotency-Key'], undefined);
  assert.equal(wx.sent[0].url, 'https://xz.test/api/v1/shop/goods?limit=20');
});

test('a long Retry-After is waited for at most 30 seconds', async () => {
  const { api, waits } = client([
    { status: 503, body: { code: 'service.database' }, header: { 'Retry-After': '3600' } },
    { status: 429, body: { code: 'auth.rate_limited' }, header: { 'retry-after': '2' } },
    ok({ id: 1 }),
  ]);
  await api.get('/api/v1/me');
  assert.deepEqual(waits, [MAX_RETRY_AFTER_MS, 2000]);
  assert.equal(MAX_RETRY_AFTER_MS, 30000);
});

test('in_flight is retried; another 409 reaches the page as it is', async () => {
  const { api, wx } = client([
    problem(409, 'idempotency.in_flight'),
    problem(409, 'shop.out_of_stock', { detail: '库存不足。' }),
  ]);
  await assert.rejects(api.redeem(3), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'shop.out_of_stock');
    assert.equal(err.detail, '库存不足。');
    return true;
  });
  assert.equal(wx.sent.length, 2);
});

test('a 422 is not retried and carries the field errors', async () => {
  const errors = [{ field: 'quantity', message: '数值太小' }];
  const { api, wx } = client([problem(422, 'request.validation', { errors })]);
  await assert.rejects(api.redeem(3, 0), (err) => err.status === 422 && err.errors[0].field === 'quantity');
  assert.equal(wx.sent.length, 1);
});

test('no answer after every retry is network.unreachable, in Chinese', async () => {
  const { api, waits } = client([{ fail: 'timeout' }, { fail: 'timeout' }, { fail: 'timeout' }], { retries: 2 });
  await assert.rejects(api.get('/api/v1/me'), (err) => err.code === 'network.unreachable' && /网络/.test(err.detail));
  assert.deepEqual(waits, [400, 800]);
});

test('requests that meet an expired token together share one refresh', async () => {
  const { api, wx } = client([
    problem(401, 'auth.token_expired'),
    problem(401, 'auth.token_expired'),
    ok({ access_token: 'a2', refresh_token: 'r2' }),
    ok({ id: 1 }),
    ok({ id: 2 }),
  ]);
  const answers = await Promise.all([api.get('/api/v1/me'), api.get('/api/v1/me')]);
  assert.deepEqual(answers.map((a) => a.id).sort(), [1, 2]);
  const refreshes = wx.sent.filter((s) => s.url.endsWith('/auth/refresh'));
  assert.equal(refreshes.length, 1);
  assert.deepEqual(refreshes[0].data, { refresh_token: 'r1' });
  assert.equal(wx.sent.at(-1).header.Authorization, 'Bearer a2');
  assert.deepEqual(wx.getStorageSync(TOKENS_KEY), { access_token: 'a2', refresh_token: 'r2' });
});

test('a refused refresh asks the page to log in again and forgets the tokens', async () => {
  const { api, wx } = client([problem(401, 'auth.token_expired'), problem(401, 'auth.refresh_reused')]);
  await assert.rejects(api.get('/api/v1/me'), (err) => err.code === 'auth.login_required');
  assert.equal(wx.getStorageSync(TOKENS_KEY), null);
});

test('an upload reports its progress and answers the photo', async () => {
  const { api } = client([ok({ id: 9, url: '/media/9.jpg' }, 201)]);
  const seen = [];
  const photo = await api.upload('wxfile://a.jpg', 'grid', { onProgress: (p) => seen.push(p) });
  assert.equal(photo.id, 9);
  assert.deepEqual(seen, [100]);
});

test('an aborted upload stops at once and is not retried', async () => {
  const { api, wx } = client([{ hold: true }]);
  const seen = [];
  const upload = api.upload('wxfile://a.jpg', 'grid', { onProgress: (p) => seen.push(p) });
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  upload.abort();
  await assert.rejects(upload, (err) => err.code === 'request.aborted' && err.detail === '已取消上传。');
  assert.deepEqual(seen, [40]);
  assert.equal(wx.sent.length, 1);
});
