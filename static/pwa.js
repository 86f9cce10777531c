/* PLN Connect on every page: registers the service worker, and keeps the queue of scans made
   without network (IndexedDB), sending it as one batch when the network returns: on the `online`
   event, on every page load, and through Background Sync where the browser has it.
   The service worker loads this file too (importScripts), for Background Sync. */
(function (scope) {
  'use strict';

  var DB_NAME = 'pln-connect';
  var WAITING = 'waiting';   // scans not yet accepted by the server, by uuid
  var RESULTS = 'results';   // what the server said about each sent scan
  var META = 'meta';         // where to send, and the CSRF token of the latest page
  var BATCH = 100;   // the server takes 500, but its rate limit counts each scan
  var KEEP_SAVED_MS = 24 * 3600 * 1000;
  var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('pln-scans') : null;
  var listeners = [];
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var d = request.result;
          d.createObjectStore(WAITING, { keyPath: 'uuid' });
          d.createObjectStore(RESULTS, { keyPath: 'uuid' });
          d.createObjectStore(META, { keyPath: 'key' });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  // Runs fn(stores...) in one transaction; resolves with fn's value when the transaction commits.
  function transaction(names, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(names, mode);
        var value;
        tx.oncomplete = function () { resolve(value); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
        value = fn.apply(null, names.map(function (n) { return tx.objectStore(n); }));
      });
    });
  }

  function getAll(name) {
    return transaction([name], 'readonly', function (store) {
      var out = { items: [] };
      store.getAll().onsuccess = function (e) { out.items = e.target.result; };
      return out;
    }).then(function (out) {
      return out.items.sort(function (a, b) { return (a.queued_at || 0) - (b.queued_at || 0); });
    });
  }

  function changed() {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's problem */ } });
    if (channel) channel.postMessage('changed');
  }
  if (channel) channel.onmessage = function () { listeners.forEach(function (fn) { fn(); }); };

  function newUuid() {
    if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function getMeta() {
    return transaction([META], 'readonly', function (store) {
      var out = {};
      store.get('session').onsuccess = function (e) { out.value = e.target.result; };
      return out;
    }).then(function (out) { return out.value || {}; });
  }

  function setMeta(values) {
    return getMeta().then(function (old) {
      var merged = Object.assign({}, old, values, { key: 'session' });
      return transaction([META], 'readwrite', function (store) { store.put(merged); });
    });
  }

  // One flush at a time, across tabs and the service worker.
  function exclusively(fn) {
    if (scope.navigator && navigator.locks && navigator.locks.request) {
      return navigator.locks.request('pln-sync', fn);
    }
    return fn();
  }

  function post(meta, body) {
    return fetch(meta.syncUrl, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': meta.csrf || '' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function freshToken(meta) {
    return fetch(meta.tokenUrl, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (data) { meta.csrf = data.csrf_token; return setMeta({ csrf: data.csrf_token }); });
  }

  // Moves answered scans from the waiting list to the results, in one transaction. The server
  // answers in the order it was sent.
  function record(items, results) {
    return transaction([WAITING, RESULTS], 'readwrite', function (waiting, done) {
      items.forEach(function (item, i) {
        var result = results[i];
        if (!result || (result.uuid && result.uuid !== item.uuid)) return;  // stays queued
        if (result.status === 'rate_limited') return;  // not checked yet: stays queued, sent again later
        waiting.delete(item.uuid);
        done.put(Object.assign({}, item, {
          status: result.status, message: result.message, name: result.name || null,
          connection_id: result.connection_id || null, answered_at: Date.now()
        }));
      });
    });
  }

  function sendGroup(meta, items, outcome) {
    var chunk = items.slice(0, BATCH);
    var body = {
      attendee: chunk[0].attendee,
      scans: chunk.map(function (s) { return { uuid: s.uuid, text: s.text, note: s.note || '', scanned_at: s.scanned_at }; })
    };
    function attempt(tokenRetried) {
      return post(meta, body).then(function (answer) {
        if (answer.status === 400 && answer.data.error === 'csrf' && !tokenRetried) {
          return freshToken(meta).then(function () { return attempt(true); });
        }
        if (answer.status === 200 && Array.isArray(answer.data.results)) {
          var later = answer.data.results.filter(function (r) { return r && r.status === 'rate_limited'; });
          outcome.sent += chunk.length - later.length;
          outcome.saved += answer.data.saved || 0;
          if (later.length) { outcome.retry = true; outcome.message = later[0].message; }
          return record(chunk, answer.data.results).then(function () {
            return items.length > BATCH ? sendGroup(meta, items.slice(BATCH), outcome) : null;
          });
        }
        if (answer.status === 401) { outcome.signedOut = true; return null; }
        if (answer.status === 403) { outcome.otherAttendee = true; return null; }
        outcome.retry = true;   // 5xx, 429, an HTML error page: try again later
        outcome.message = answer.data.message || null;
        return null;
      });
    }
    return attempt(false);
  }

  var queue = {
    newUuid: newUuid,
    onChange: function (fn) { listeners.push(fn); },
    configure: setMeta,
    add: function (scan) {
      var item = Object.assign({ uuid: newUuid(), note: '', queued_at: Date.now(), scanned_at: Date.now() }, scan);
      return transaction([WAITING], 'readwrite', function (store) { store.put(item); })
        .then(function () { changed(); return item; });
    },
    waiting: function () { return getAll(WAITING); },
    results: function () {
      return getAll(RESULTS).then(function (items) {
        return items.sort(function (a, b) { return (b.answered_at - a.answered_at) || (b.queued_at - a.queued_at); });
      });
    },
    result: function (uuid) {
      return transaction([RESULTS], 'readonly', function (store) {
        var out = {};
        store.get(uuid).onsuccess = function (e) { out.value = e.target.result; };
        return out;
      }).then(function (out) { return out.value || null; });
    },
    dismiss: function (uuid) {
      return transaction([RESULTS], 'readwrite', function (store) { store.delete(uuid); }).then(changed);
    },
    clearResults: function () {
      return transaction([RESULTS], 'readwrite', function (store) { store.clear(); }).then(changed);
    },
    // Sends every waiting scan; resolves {sent, saved, retry, signedOut, otherAttendee}.
    flush: function () {
      return exclusively(function () {
        var outcome = { sent: 0, saved: 0, retry: false, signedOut: false, otherAttendee: false };
        return Promise.all([getMeta(), getAll(WAITING)]).then(function (both) {
          var meta = both[0], items = both[1];
          if (!items.length || !meta.syncUrl) return outcome;
          var groups = {};
          items.forEach(function (item) { (groups[item.attendee] = groups[item.attendee] || []).push(item); });
          return Object.keys(groups).reduce(function (previous, key) {
            return previous.then(function () { return outcome.signedOut ? null : sendGroup(meta, groups[key], outcome); });
          }, Promise.resolve()).then(function () { return outcome; }, function () {
            outcome.retry = true;  // no network, or it dropped half way
            return outcome;
          });
        }).then(function (result) {
          if (result.sent) changed();
          return result;
        });
      });
    },
    // Answers that saved nobody (an unknown or removed badge, one's own ...) that no page has told
    // the person about yet; `markNoticed` records that one has.
    unnoticedProblems: function (attendee) {
      return getAll(RESULTS).then(function (items) {
        return items.filter(function (r) {
          return !r.noticed && String(r.attendee) === String(attendee) && r.status !== 'saved' && r.status !== 'duplicate';
        });
      });
    },
    markNoticed: function (uuids) {
      return transaction([RESULTS], 'readwrite', function (store) {
        uuids.forEach(function (uuid) {
          store.get(uuid).onsuccess = function (e) {
            var r = e.target.result;
            if (r) { r.noticed = true; store.put(r); }
          };
        });
      });
    },
    // Drops saved results older than a day; problems stay until the person dismisses them.
    tidy: function () {
      var cutoff = Date.now() - KEEP_SAVED_MS;
      return transaction([RESULTS], 'readwrite', function (store) {
        store.openCursor().onsuccess = function (e) {
          var cursor = e.target.result;
          if (!cursor) return;
          var r = cursor.value;
          if ((r.status === 'saved' || r.status === 'duplicate') && r.answered_at < cutoff) cursor.delete();
          cursor.continue();
        };
      });
    }
  };
  scope.PLNQueue = queue;

  if (typeof document === 'undefined') return;  // in the service worker: the queue is all it needs

  var script = document.currentScript;
  var config = script ? script.dataset : {};
  var retryDelay = 1000;
  var retryTimer = null;

  function pageToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.content;
    try { return JSON.parse(document.body.getAttribute('data-hx-headers') || '{}')['X-CSRFToken']; } catch (e) { return null; }
  }

  // Sends now; on failure tries again after 1 s, 2 s, 4 s ... up to a minute, while the page is open.
  function flushSoon() {
    clearTimeout(retryTimer);
    return queue.flush().then(function (outcome) {
      if (outcome.retry) {
        retryTimer = setTimeout(flushSoon, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      } else {
        retryDelay = 1000;
      }
      document.dispatchEvent(new CustomEvent('pln:synced', { detail: outcome }));
      return outcome;
    }).catch(function () { return { retry: true }; });
  }
  queue.flushSoon = flushSoon;

  // Asks the service worker to send the queue when the network returns, even with the page closed.
  queue.requestBackgroundSync = function () {
    if (!('serviceWorker' in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.sync ? registration.sync.register('pln-scans') : null;
    }).catch(function () { /* not allowed here: the online event does the work */ });
  };

  function afterLoad(fn) {
    var later = function () { setTimeout(fn, 1500); };
    if (document.readyState === 'complete') later();
    else window.addEventListener('load', later);
  }

  // On every page but the scanner (which lists them itself): a scan that the server could not save,
  // or scans waiting for a sign-in, are told at the top of the page, once, with the way to them.
  function banner(text, linkText, href) {
    if (document.getElementById('scanner')) return;
    var main = document.getElementById('main');
    if (!main) return;
    var box = document.getElementById('sync-problems') || document.createElement('div');
    box.id = 'sync-problems';
    box.className = 'notice warning';
    box.setAttribute('role', 'alert');
    var p = document.createElement('p');
    p.textContent = text + ' ';
    var a = document.createElement('a');
    a.href = href;
    a.textContent = linkText;
    p.appendChild(a);
    box.replaceChildren(p);
    if (!box.isConnected) main.insertBefore(box, main.firstChild);
  }

  function tellProblems() {
    if (document.getElementById('scanner') || !config.attendee) return Promise.resolve();
    return queue.unnoticedProblems(config.attendee).then(function (problems) {
      if (!problems.length) return null;
      var first = problems[0];
      var text = problems.length === 1
        ? 'A scan was not saved: ' + (first.message || 'the server refused it.')
        : problems.length + ' scans were not saved. The first: ' + (first.message || 'the server refused it.');
      banner(text, 'See them on the Scan page (your notes are kept there)', config.scan + '#sync-panel');
      return queue.markNoticed(problems.map(function (r) { return r.uuid; }));
    }).catch(function () { /* IndexedDB unavailable: nothing was queued here */ });
  }

  function tellWaitingForSignIn() {
    return queue.waiting().then(function (waiting) {
      if (!waiting.length) return;
      banner((waiting.length === 1 ? 'A scan is' : waiting.length + ' scans are') +
             ' kept on this phone, waiting to be sent.', 'Sign in to send them', config.signin);
    }).catch(function () {});
  }

  function start() {
    var signedIn = config.signedIn === '1';
    var ready = signedIn && window.indexedDB
      ? setMeta({ syncUrl: config.sync, tokenUrl: config.token, csrf: pageToken() }).catch(function () {})
      : Promise.resolve();
    if ('serviceWorker' in navigator && config.sw) {
      // After the page has loaded and settled: installing stores the personal pages and their files,
      // which should not compete with the camera starting or the first card.
      afterLoad(function () {
        navigator.serviceWorker.register(config.sw, { scope: '/' }).then(function () {
          if (!signedIn && navigator.serviceWorker.controller) {
            navigator.serviceWorker.controller.postMessage('signed-out');  // forget cached personal pages
          }
        }).catch(function () { /* no offline pages, the site still works */ });
      });
    }
    if (signedIn && window.indexedDB) {
      document.addEventListener('pln:synced', tellProblems);
      ready.then(function () { queue.tidy().catch(function () {}); return flushSoon(); });
      window.addEventListener('online', function () { retryDelay = 1000; flushSoon(); });
    } else if (window.indexedDB && config.signin && indexedDB.databases) {
      // Only where this phone ever queued a scan: a first visit creates no database.
      indexedDB.databases().then(function (all) {
        if (all.some(function (d) { return d.name === DB_NAME; })) tellWaitingForSignIn();
      }).catch(function () {});
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(self);
