'use strict';
/**
 * A `wx` with no network: each request is answered by the next scripted reply, so the client's
 * retries, refreshes and uploads can be tested without a server. A reply is
 * `{ status, body, header }`, or `{ fail: 'timeout' }` for a request that never got an answer.
 */
function createFakeWx(replies) {
  const storage = new Map();
  const sent = [];
  const queue = replies.slice();

  function answer(options, done) {
    sent.push({ url: options.url, method: options.method || 'POST', header: options.header || {}, data: options.data });
    const reply = queue.shift();
    if (!reply) throw new Error('no scripted reply for ' + options.url);
    setImmediate(() => {
      if (reply.fail) return options.fail({ errMsg: 'request:fail ' + reply.fail });
      done({ statusCode: reply.status, data: reply.body, header: reply.header || {} });
    });
  }

  return {
    sent,
    queue,
    storage,
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    login: ({ success }) => setImmediate(() => success({ code: 'fake' })),
    request(options) {
      answer(options, options.success);
    },
    uploadFile(options) {
      const task = {
        progress: null,
        aborted: false,
        onProgressUpdate(cb) {
          this.progress = cb;
        },
        abort() {
          this.aborted = true;
          setImmediate(() => options.fail({ errMsg: 'uploadFile:fail abort' }));
        },
      };
      const reply = queue[0];
      if (reply && reply.hold) {
        // Held: reports progress, then waits to be aborted.
        queue.shift();
        sent.push({ url: options.url, header: options.header || {} });
        setImmediate(() => task.progress && task.progress({ progress: 40, totalBytesSent: 400, totalBytesExpectedToSend: 1000 }));
        return task;
      }
      answer(options, (res) => {
        if (task.progress) task.progress({ progress: 100, totalBytesSent: 1000, totalBytesExpectedToSend: 1000 });
        options.success(Object.assign(res, { data: JSON.stringify(res.data) }));
      });
      return task;
    },
  };
}

module.exports = { createFakeWx };
