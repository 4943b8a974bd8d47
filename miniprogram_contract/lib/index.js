'use strict';
/**
 * The mini-program's client for the Xiangzhi API (CommonJS, as mini-programs load it).
 *
 * Built for cheap phones on weak networks:
 * - every write carries one Idempotency-Key for all its attempts, so a retry after a lost answer
 *   replays the first answer instead of doing the thing twice;
 * - network failures, 502/503/504, 409 `idempotency.in_flight` and 429 (after `Retry-After`) are
 *   retried a few times with a growing pause;
 * - an expired access token is refreshed once (one refresh at a time, however many requests hit
 *   401 together) and the request sent again; a refused refresh asks the page to log in again;
 * - errors reach the page as `ApiError` with the server's `code` and Chinese `detail`, because
 *   `wx.request` succeeds on every HTTP status and pages must decide by `code`.
 *
 *   const { createClient } = require('xiangzhi-miniprogram-client');
 *   const api = createClient({ baseUrl: 'https://xz.example.cn', wx });
 *   await api.login();
 *   const me = await api.get('/api/v1/me');
 */

const TOKENS_KEY = 'xiangzhi.tokens';
const RETRY_STATUSES = new Set([502, 503, 504]);
// However long the server asks a phone to wait, the villager will not watch a spinner longer.
const MAX_RETRY_AFTER_MS = 30000;

class ApiError extends Error {
  constructor(status, body) {
    const problem = body && typeof body === 'object' ? body : {};
    super(problem.detail || '网络不给力，请稍后再试。');
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || (status === 0 ? 'network.unreachable' : 'http.' + status);
    this.detail = this.message;
    this.errors = problem.errors || [];
  }
}

function newKey() {
  // Not a secret: only unique per user and call.
  const random = Math.random().toString(36).slice(2, 10);
  return 'mp-' + Date.now().toString(36) + '-' + random;
}

function aborted() {
  return new ApiError(0, { code: 'request.aborted', detail: '已取消上传。' });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseBody(data) {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch (e) {
    return data;
  }
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter((k) => query[k] !== undefined && query[k] !== null)
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(query[k]));
  return parts.length ? '?' + parts.join('&') : '';
}

function createClient(options) {
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  const wx = options.wx;
  const retries = options.retries === undefined ? 3 : options.retries;
  const pauseMs = options.pauseMs === undefined ? 400 : options.pauseMs;
  const timeout = options.timeout || 15000;
  const pause = options.sleep || sleep; // tests pass their own clock
  let tokens = wx.getStorageSync(TOKENS_KEY) || null;
  let refreshing = null;

  function saveTokens(pair) {
    tokens = pair ? { access_token: pair.access_token, refresh_token: pair.refresh_token } : null;
    wx.setStorageSync(TOKENS_KEY, tokens);
  }

  function send(method, path, data, header) {
    return new Promise((resolve, reject) => {
      wx.request({
        url: baseUrl + path,
        method: method,
        data: data,
        header: header,
        timeout: timeout,
        success: (res) => resolve({ status: res.statusCode, body: parseBody(res.data), header: res.header || {} }),
        fail: (err) => reject(err),
      });
    });
  }

  function sendUpload(path, filePath, formData, header, control) {
    return new Promise((resolve, reject) => {
      if (control.aborted) return reject(aborted());
      const task = wx.uploadFile({
        url: baseUrl + path,
        filePath: filePath,
        name: 'file',
        formData: formData,
        header: header,
        timeout: timeout,
        // uploadFile hands the body over as a string.
        success: (res) => resolve({ status: res.statusCode, body: parseBody(res.data), header: res.header || {} }),
        fail: (err) => reject(control.aborted ? aborted() : err),
      });
      control.task = task;
      if (task && control.onProgress && task.onProgressUpdate) {
        task.onProgressUpdate((p) => control.onProgress(p.progress, p.totalBytesSent, p.totalBytesExpectedToSend));
      }
    });
  }

  function refresh() {
    if (!refreshing) {
      const spent = tokens && tokens.refresh_token;
      refreshing = (async () => {
        if (!spent) throw new ApiError(401, { code: 'auth.login_required', detail: '请重新登录。' });
        const res = await send('POST', '/api/v1/auth/refresh', { refresh_token: spent }, { 'content-type': 'application/json' });
        if (res.status !== 200) {
          saveTokens(null);
          throw new ApiError(401, { code: 'auth.login_required', detail: '登录已过期，请重新登录。' });
        }
        saveTokens(res.body);
      })().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  function retryAfterMs(res, attempt) {
    const header = res && res.header && (res.header['Retry-After'] || res.header['retry-after']);
    const seconds = Number(header);
    if (seconds > 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
    return pauseMs * Math.pow(2, attempt);
  }

  function shouldRetry(res) {
    if (RETRY_STATUSES.has(res.status) || res.status === 429) return true;
    return res.status === 409 && res.body && res.body.code === 'idempotency.in_flight';
  }

  async function attempt(run, { write, auth }) {
    const header = {};
    if (write) header['Idempotency-Key'] = newKey(); // one key for every attempt of this call
    let refreshed = false;
    for (let tries = 0; ; tries++) {
      if (auth && tokens) header.Authorization = 'Bearer ' + tokens.access_token;
      let res;
      try {
        res = await run(header);
      } catch (networkError) {
        if (networkError instanceof ApiError) throw networkError; // aborted: never retried
        if (tries < retries) {
          await pause(pauseMs * Math.pow(2, tries));
          continue;
        }
        throw new ApiError(0, { code: 'network.unreachable', detail: '网络不给力，请稍后再试。' });
      }
      if (res.status === 401 && auth && tokens && !refreshed) {
        refreshed = true;
        await refresh();
        tries -= 1;
        continue;
      }
      if (shouldRetry(res) && tries < retries) {
        await pause(retryAfterMs(res, tries));
        continue;
      }
      if (res.status >= 400) throw new ApiError(res.status, res.body);
      return res.body;
    }
  }

  function request(method, path, opts) {
    const o = opts || {};
    const write = method !== 'GET';
    const header = { 'content-type': 'application/json' };
    return attempt(
      (extra) => send(method, path + queryString(o.query), o.data, Object.assign({}, header, extra)),
      { write: write, auth: o.auth !== false }
    );
  }

  return {
    ApiError: ApiError,
    get tokens() {
      return tokens;
    },
    request: request,
    get: (path, query) => request('GET', path, { query: query }),
    post: (path, data) => request('POST', path, { data: data }),
    patch: (path, data) => request('PATCH', path, { data: data }),
    del: (path) => request('DELETE', path),

    /** wx.login, then the server's login; keeps the token pair in storage. */
    async login() {
      const code = await new Promise((resolve, reject) =>
        wx.login({ success: (r) => resolve(r.code), fail: reject })
      );
      const pair = await request('POST', '/api/v1/auth/wechat-login', { data: { code: code }, auth: false });
      saveTokens(pair);
      return pair.user;
    },

    /** The current privacy notice ({version, text}); public. */
    privacyNotice() {
      return request('GET', '/api/v1/privacy', { auth: false });
    },

    /** What wx.requirePrivacyAuthorize reported: the user agreed to this version. Binding a
     * phone needs the current version agreed; a new version asks again. */
    acceptPrivacy(version) {
      return request('POST', '/api/v1/me/privacy-consent', { data: { version: version } });
    },

    /** The code from <button open-type="getPhoneNumber">; the current privacy notice must have
     * been accepted (403 `privacy.consent_required` otherwise). */
    bindPhone(code) {
      return request('POST', '/api/v1/auth/bind-phone', { data: { code: code } });
    },

    async logout() {
      try {
        await request('POST', '/api/v1/auth/logout', { data: {} });
      } finally {
        saveTokens(null);
      }
    },

    /**
     * A photo from wx.chooseMedia, for `feed`, `grid`, `evidence` or `avatar`. The promise has
     * `abort()`; `onProgress(percent, sent, total)` follows the upload on slow networks.
     */
    upload(filePath, purpose, opts) {
      const control = { aborted: false, task: null, onProgress: (opts || {}).onProgress };
      const done = attempt(
        (extra) => sendUpload('/api/v1/media', filePath, { purpose: purpose }, extra, control),
        { write: true, auth: true }
      );
      done.abort = () => {
        control.aborted = true;
        if (control.task && control.task.abort) control.task.abort();
      };
      return done;
    },

    checkIn(eventId, token, place) {
      return request('POST', '/api/v1/events/' + eventId + '/checkins', {
        data: Object.assign({ token: token }, place || {}),
      });
    },

    scanVolunteer(activityId, token, place) {
      return request('POST', '/api/v1/activities/' + activityId + '/scans', {
        data: Object.assign({ token: token }, place || {}),
      });
    },

    redeem(goodsId, quantity) {
      return request('POST', '/api/v1/shop/redemptions', {
        data: { goods_id: goodsId, quantity: quantity || 1 },
      });
    },
  };
}

const ledger = require('./ledger');

module.exports = {
  createClient: createClient,
  ApiError: ApiError,
  TOKENS_KEY: TOKENS_KEY,
  MAX_RETRY_AFTER_MS: MAX_RETRY_AFTER_MS,
  verifyEntry: ledger.verifyEntry,
  verifyConsistency: ledger.verifyConsistency,
  verifyHead: ledger.verifyHead,
};
