'use strict';
/**
 * The parts of the `wx` object the client uses, made of Node's fetch, talking to a real
 * server. `lose(n)` makes the next n answers get lost after the server has acted on them, as a
 * weak network does; `drop(n)` fails the next n requests before they leave.
 */
const fs = require('node:fs');
const path = require('node:path');

function createWx({ loginCode = 'node-test' } = {}) {
  const storage = new Map();
  const faults = { lose: 0, drop: 0 };
  const sent = [];

  async function go(url, init, done) {
    if (faults.drop > 0) {
      faults.drop -= 1;
      return done.fail({ errMsg: 'request:fail timeout' });
    }
    sent.push({ url, method: init.method, headers: init.headers });
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      return done.fail({ errMsg: 'request:fail ' + e.message });
    }
    const text = await res.text();
    if (faults.lose > 0) {
      faults.lose -= 1;
      return done.fail({ errMsg: 'request:fail timeout' });
    }
    const header = {};
    res.headers.forEach((v, k) => (header[k] = v));
    done.success({ statusCode: res.status, data: text, header });
  }

  return {
    faults,
    sent,
    storage,
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    login: ({ success }) => setImmediate(() => success({ code: loginCode })),
    request({ url, method = 'GET', data, header = {}, success, fail }) {
      const init = { method, headers: header };
      if (data !== undefined && method !== 'GET') init.body = JSON.stringify(data);
      go(url, init, { success: (r) => success(Object.assign(r, { data: tryJson(r.data) })), fail });
    },
    uploadFile({ url, filePath, name, formData = {}, header = {}, success, fail }) {
      const form = new FormData();
      Object.keys(formData).forEach((k) => form.append(k, formData[k]));
      form.append(name, new Blob([fs.readFileSync(filePath)]), path.basename(filePath));
      go(url, { method: 'POST', headers: header, body: form }, { success, fail });
    },
  };
}

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return text;
  }
}

module.exports = { createWx };
