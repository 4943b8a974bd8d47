'use strict';
/**
 * The client against a real Xiangzhi server (started by tests/e2e/test_miniprogram_client.py):
 * XZ_BASE_URL, XZ_PHONE (a villager in the demo roster) and XZ_PHOTO (a JPEG) come from there.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const { createClient, ApiError, TOKENS_KEY } = require('..');
const { createWx } = require('./wx-node');

const BASE = process.env.XZ_BASE_URL;
const PHONE = process.env.XZ_PHONE;
const PHOTO = process.env.XZ_PHOTO;

// Every test opens the mini-program as the same villager (one WeChat account), on its own phone
// storage; the label only names the scene.
async function villager(_label) {
  const wx = createWx({ loginCode: 'node-client' });
  const api = createClient({ baseUrl: BASE, wx, pauseMs: 20 });
  await api.login();
  await api.acceptPrivacy((await api.privacyNotice()).version);
  await api.bindPhone(PHONE);
  return { wx, api };
}

test('a villager logs in, binds the phone and reads their profile', async () => {
  const { api } = await villager('profile');
  const me = await api.get('/api/v1/me');
  assert.equal(me.is_bound, true);
  assert.ok(me.household, 'the demo villager has a household');
});

test('a redemption whose answer is lost is retried with the same key and happens once', async () => {
  const { wx, api } = await villager('lost-answer');
  // The cheapest: the demo household has only a few points.
  const [goods] = (await api.get('/api/v1/shop/goods')).items.sort((a, b) => a.points - b.points);
  const before = goods.stock;
  wx.faults.lose = 1; // the server redeems, the phone never hears back
  const redemption = await api.redeem(goods.id, 1);
  assert.equal(redemption.status, 'reserved');
  const writes = wx.sent.filter((s) => s.url.endsWith('/api/v1/shop/redemptions'));
  assert.equal(writes.length, 2);
  assert.equal(writes[0].headers['Idempotency-Key'], writes[1].headers['Idempotency-Key']);
  const mine = (await api.get('/api/v1/me/redemptions')).items;
  assert.equal(mine.filter((r) => r.goods_id === goods.id && r.status === 'reserved').length, 1);
  const [after] = (await api.get('/api/v1/shop/goods')).items.filter((g) => g.id === goods.id);
  assert.equal(after.stock, before - 1);
  await api.post('/api/v1/shop/redemptions/' + redemption.id + '/cancel', {});
});

test('the page gets the server code and a Chinese sentence', async () => {
  const { api } = await villager('errors');
  const [goods] = (await api.get('/api/v1/shop/goods')).items;
  await assert.rejects(api.redeem(goods.id, 100), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'shop.out_of_stock');
    assert.match(err.detail, /库存不足/);
    return true;
  });
  await assert.rejects(api.post('/api/v1/posts', { title: '' }), (err) => {
    assert.equal(err.status, 422);
    assert.ok(err.errors.length > 0);
    return true;
  });
});

test('with no network at all the page hears so after a few tries', async () => {
  const { wx, api } = await villager('offline');
  wx.faults.drop = 10;
  await assert.rejects(api.get('/api/v1/me'), (err) => err.code === 'network.unreachable');
  wx.faults.drop = 0;
});

test('an expired access token is refreshed once for requests that fail together', async () => {
  const { wx, api } = await villager('refresh');
  const stored = wx.getStorageSync(TOKENS_KEY);
  const stale = { access_token: 'expired.token.value', refresh_token: stored.refresh_token };
  wx.setStorageSync(TOKENS_KEY, stale);
  const fresh = createClient({ baseUrl: BASE, wx, pauseMs: 20 });
  const answers = await Promise.all([fresh.get('/api/v1/me'), fresh.get('/api/v1/me'), fresh.get('/api/v1/me')]);
  assert.ok(answers.every((me) => me.is_bound));
  assert.equal(wx.sent.filter((s) => s.url.endsWith('/api/v1/auth/refresh')).length, 1);
  assert.notEqual(fresh.tokens.refresh_token, stored.refresh_token);
});

test('a refused refresh asks for a new login and forgets the tokens', async () => {
  const { wx } = await villager('revoked');
  wx.setStorageSync(TOKENS_KEY, { access_token: 'bad', refresh_token: 'also-bad' });
  const api = createClient({ baseUrl: BASE, wx, pauseMs: 20 });
  await assert.rejects(api.get('/api/v1/me'), (err) => err.code === 'auth.login_required');
  assert.equal(wx.getStorageSync(TOKENS_KEY), null);
});

test('a photo goes up as wx.uploadFile sends it', async () => {
  const { api } = await villager('upload');
  const media = await api.upload(PHOTO, 'feed');
  assert.ok(media.id > 0);
  assert.match(media.url, /\.jpg$/);
  await assert.rejects(api.upload(PHOTO, 'poster'), (err) => err.status === 422);
});
