/* PLN Connect's service worker, served at /sw.js (conference/scanner/routes.py fills in the
   __NAMES__). Once visited, the personal pages (the badge, the scanner, the contacts list, my
   schedule: OFFLINE_PAGES there) open with no network; scans queued offline are sent by Background Sync. */
'use strict';

var VERSION = __VERSION__;
var CACHE = 'pln-' + VERSION;
var PAGES = __PAGES__;          // personal pages: network first, the cached copy without network
var LINKS = __LINKS__;          // the same pages as the offline page lists them: {path, label, note}
var EXTRA = __EXTRA__;          // static files no page names in its HTML
var APP_CSS = __APP_CSS__;
var PAGE_TIMEOUT_MS = 4000;     // overloaded venue Wi-Fi: show the cached page rather than wait

importScripts(__QUEUE_SCRIPT__);

function staticUrlsIn(html) {
  var urls = [];
  var pattern = /(?:src|href)="(\/static\/[^"]+)"/g;
  var match;
  while ((match = pattern.exec(html))) urls.push(match[1].replace(/&amp;/g, '&'));
  return urls;
}

// Caches each personal page (when signed in) and every static file those pages use.
function precache() {
  return caches.open(CACHE).then(function (cache) {
    var wanted = EXTRA.slice();
    return Promise.all(PAGES.map(function (path) {
      return fetch(path, { credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
        if (!response.ok || response.redirected) return null;
        return response.clone().text().then(function (html) {
          wanted = wanted.concat(staticUrlsIn(html));
          return cache.put(path, response);
        });
      }).catch(function () { return null; });
    })).then(function () {
      return Promise.all(Array.from(new Set(wanted)).map(function (url) {
        return cache.match(url).then(function (hit) {
          return hit || cache.add(url).catch(function () { return null; });
        });
      }));
    });
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(precache().then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf('pln-') === 0 && key !== CACHE; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('message', function (event) {
  if (event.data === 'signed-out') {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all(PAGES.map(function (path) { return cache.delete(path); }));
    }));
  }
});

function offlinePage() {
  var html = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>No network · PLN Connect</title><link rel="stylesheet" href="' + APP_CSS + '"></head>' +
    '<body><header class="topbar"><span class="brand">PLN Connect</span></header><main class="card stack">' +
    '<h1>No network right now</h1><p>This page has not been opened on this phone yet, so it is not stored here.</p>' +
    '<p>These work without a network once you have opened them:</p><ul>' +
    LINKS.map(function (link) {
      return '<li><a href="' + link.path + '">' + link.label + '</a>' + (link.note ? ' (' + link.note + ')' : '') + '</li>';
    }).join('') +
    '</ul></main></body></html>';
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error('timeout')); }, ms);
    promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

// Network first; the stored copy when the network fails or is too slow; keep the copy fresh.
function personalPage(event, path, cacheable) {
  var network = fetch(event.request);
  var saved = network.then(function (response) {
    var copy = response.clone();  // now, before the page starts reading the body
    return caches.open(CACHE).then(function (cache) {
      if (response.type === 'opaqueredirect' || response.redirected || response.status === 401 || response.status === 403) {
        return cache.delete(path);  // signed out: the copy is no longer this person's to see
      }
      if (response.ok && cacheable) return cache.put(path, copy);
      return null;
    });
  }).catch(function () { return null; });
  event.waitUntil(saved);
  return withTimeout(network, PAGE_TIMEOUT_MS).catch(function () {
    return caches.match(path, { cacheName: CACHE, ignoreVary: true }).then(function (hit) {
      return hit || network.catch(offlinePage);
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (url.pathname.indexOf('/static/') === 0) {
    // Static URLs carry a hash of their content, so a stored copy is always right.
    event.respondWith(caches.match(request, { cacheName: CACHE, ignoreVary: true }).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(request, copy); }));
        }
        return response;
      });
    }));
    return;
  }

  var boosted = request.headers.get('HX-Boosted') === 'true';
  if (request.mode !== 'navigate' && !boosted) return;
  if (PAGES.indexOf(url.pathname) >= 0) {
    event.respondWith(personalPage(event, url.pathname, url.search === '' && !boosted));
  } else if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(offlinePage));
  }
});

self.addEventListener('sync', function (event) {
  if (event.tag !== 'pln-scans') return;
  event.waitUntil(self.PLNQueue.flush().then(function (outcome) {
    if (outcome.retry) throw new Error('the server did not answer: the browser tries again later');
  }));
});
