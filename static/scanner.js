/* The /scan page: camera (qr-scanner), the card sheet, typed codes, and the list of scans waiting
   to sync. Every scan is saved through the queue (static/pwa.js), online or not, so nothing is
   lost when the network drops between the card and Save. */
(function () {
  'use strict';
  var root = document.getElementById('scanner');
  if (!root) return;
  // Full page loads in and out of the camera page: the camera stops with the page, and htmx does
  // not keep a stale copy of it in its history.
  document.body.setAttribute('data-hx-boost', 'false');

  var cfg = root.dataset;
  var origins = (cfg.badgeOrigins || '').split(' ').filter(Boolean).concat([location.origin]);
  var queue = window.PLNQueue;
  var $ = function (id) { return document.getElementById(id); };
  var viewfinder = $('viewfinder'), video = $('scanner-video'), statusLine = $('scanner-status');
  var sheet = $('scan-sheet'), sheetBody = $('sheet-body');
  var codeForm = $('code-form'), codeInput = $('code');
  var ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  var SEEN_AGAIN_MS = 2500;   // a handled code is handled again only after it left the view this long

  var scanner = null;
  var handled = new Map();     // decoded text -> when the camera last saw it
  var cameraStartedAt = 0, timed = false, statusTimer = null, saving = false;

  var notice = $('scan-notice');
  var typedLast = false;       // the card on screen came from the typed field, not the camera

  // Tells the person what happened: over the camera, or beside the typed-code field when that is
  // where they are (or the camera is off). Messages with a kind fade back to the prompt.
  function say(text, kind) {
    clearTimeout(statusTimer);
    var nearForm = viewfinder.hidden || typedLast;
    notice.hidden = !(nearForm && kind);
    notice.textContent = nearForm && kind ? text : '';
    notice.className = 'notice' + (kind === 'warning' ? ' warning' : '');
    statusLine.textContent = nearForm && kind ? 'Point the camera at a badge QR.' : text;
    statusLine.className = 'viewfinder-status' + (kind && !nearForm ? ' ' + kind : '');
    if (kind) {
      statusTimer = setTimeout(function () { typedLast = false; say('Point the camera at a badge QR.'); }, 8000);
    }
  }

  // The same rules as conference/badges/codes.py: forgiving about case, dashes, O/0 and I/L/1.
  function normalise(typed) {
    var text = String(typed || '').trim().replace(/[\s\-_.\u2013\u2014]+/g, '').toUpperCase()
      .replace(/O/g, '0').replace(/[IL]/g, '1');
    if (!text) return { error: 'Type the code printed under the QR, for example 7KQ2-XM4P-9BDA.' };
    var bad = Array.from(new Set(text.split('').filter(function (ch) { return ALPHABET.indexOf(ch) < 0; }))).sort();
    if (bad.length) return { error: 'A badge code has only letters and digits; this one contains ' + bad.slice(0, 5).join(' ') + '.' };
    if (text.length !== 12) return { error: 'A badge code has 12 characters; this one has ' + text.length + '.' };
    return { code: text };
  }

  function display(code) { return code.slice(0, 4) + '-' + code.slice(4, 8) + '-' + code.slice(8); }

  // A badge link of this site (…/c/<code>) or a bare code; anything else is not one of our badges.
  function recognise(text, typed) {
    var url = null;
    try { url = new URL(text.trim()); } catch (e) { url = null; }
    if (url && /^https?:$/.test(url.protocol)) {
      var match = url.pathname.match(/^\/c\/([^/]+)\/?$/);
      if (!match) return { error: 'This QR code is not a PLN Connect badge.', notBadge: true };
      if (origins.indexOf(url.origin) < 0) return { error: 'This badge is from another site, not this conference.', notBadge: true };
      return normalise(decodeURIComponent(match[1]));
    }
    var result = normalise(text);
    if (result.error && !typed) return { error: 'This QR code is not a PLN Connect badge.', notBadge: true };
    return result;
  }

  // ---- the sheet that slides up with a card -------------------------------------------------
  function openSheet(fragment) {
    var shown = fragment.firstElementChild !== null;
    sheetBody.replaceChildren(fragment);
    sheet.hidden = false;
    requestAnimationFrame(function () { sheet.classList.add('open'); });
    var note = sheetBody.querySelector('textarea');
    var heading = sheetBody.querySelector('h1, h2');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
    if (!timed && cameraStartedAt && shown) {
      timed = true;   // for bench/scanner.py: camera start to the card on screen
      root.dataset.firstCardMs = String(Math.round(performance.now() - cameraStartedAt));
    }
    return note;
  }

  function closeSheet() {
    sheet.classList.remove('open');
    sheet.hidden = true;
    sheetBody.replaceChildren();
  }

  function isOpen() { return !sheet.hidden; }

  function offlineCard(code, text) {
    var fragment = $('offline-card').content.cloneNode(true);
    fragment.querySelector('.offline-code').textContent = display(code);
    fragment.querySelector('input[name=code]').value = text;
    fragment.querySelector('input[name=uuid]').value = queue.newUuid();
    openSheet(fragment);
  }

  function fetchCard(code) {
    var controller = 'AbortController' in window ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 5000) : null;
    return fetch(cfg.cardUrl + '?code=' + encodeURIComponent(display(code)), {
      credentials: 'same-origin', headers: { 'HX-Request': 'true' }, signal: controller ? controller.signal : undefined
    }).finally(function () { clearTimeout(timer); });
  }

  function openCard(code, text) {
    if (!navigator.onLine) { offlineCard(code, text); return Promise.resolve(); }
    say('Opening ' + display(code) + '…');
    return fetchCard(code).then(function (response) {
      if (response.redirected || response.status === 401) {
        say('You are signed out. Sign in again to save people.', 'warning');
        return null;
      }
      if (response.status === 429) {
        say('Many badges were looked up in a short time. Wait a minute, then scan again.', 'warning');
        return null;
      }
      if (response.status >= 500) { offlineCard(code, text); return null; }
      return response.text().then(function (html) {
        var template = document.createElement('template');
        template.innerHTML = html;
        var card = template.content.querySelector('#scan-card');
        if (!card) { offlineCard(code, text); return; }
        if (card.dataset.outcome !== 'card') {
          var message = card.querySelector('.scan-message');
          message = message ? message.textContent : 'That badge could not be opened.';
          if (typedLast) showCodeError(message); else say(message, 'warning');
          return;
        }
        var form = card.querySelector('form.scan-save');
        form.querySelector('input[name=code]').value = text;   // what the camera read, for the queue
        say('Point the camera at a badge QR.');
        openSheet(template.content);
      });
    }).catch(function () { offlineCard(code, text); });   // no network after all, or too slow
  }

  function handle(text, typed) {
    typedLast = typed;
    var found = recognise(text, typed);
    if (found.error) {
      if (typed) { showCodeError(found.error); } else { say(found.error, 'warning'); }
      return;
    }
    if (navigator.vibrate) { try { navigator.vibrate(60); } catch (e) { /* not allowed */ } }
    clearCodeError();
    openCard(found.code, text.trim());
  }

  function onDecode(result) {
    var text = typeof result === 'string' ? result : result.data;
    if (!text) return;
    var now = performance.now();
    if (!root.dataset.firstDecodeMs) root.dataset.firstDecodeMs = String(Math.round(now - cameraStartedAt));
    var last = handled.get(text);
    if (last !== undefined && now - last < SEEN_AGAIN_MS) { handled.set(text, now); return; }
    if (isOpen()) return;   // one card at a time; this code is handled once the sheet closes
    handled.set(text, now);
    handle(text, false);
  }

  // ---- saving, through the queue ------------------------------------------------------------
  sheet.addEventListener('submit', function (event) {
    var form = event.target.closest('form.scan-save');
    if (!form || !queue || !window.indexedDB) return;   // the plain POST still works
    event.preventDefault();
    var holder = form.closest('[data-name]');
    var name = holder ? holder.dataset.name : null;
    var item = {
      uuid: form.elements.uuid.value || queue.newUuid(),
      text: form.elements.code.value,
      note: form.elements.note.value.trim(),
      attendee: Number(cfg.attendee),
      name: name || null
    };
    queue.add(item).then(function () {
      queued(item, name);
    }, function () {
      form.submit();   // IndexedDB refused (private mode): send the form the plain way
    });
  });

  function queued(item, name) {
    closeSheet();
    codeInput.value = '';
    say(name ? 'Saving ' + name + '…' : 'Saved on this phone.', 'ok');
    if (!navigator.onLine) {
      say('Saved on this phone. It is sent when the network returns.', 'ok');
      queue.requestBackgroundSync();
      return null;
    }
    saving = true;
    return queue.flushSoon().then(function () { saving = false; return queue.result(item.uuid); }).then(function (result) {
      if (!result) {
        say('Saved on this phone. It is sent when the network returns.', 'ok');
        queue.requestBackgroundSync();
      } else if (result.status === 'saved' || result.status === 'duplicate') {
        say('Saved ' + result.name + ' to your contacts.', 'ok');
      } else {
        say(result.message, 'warning');
      }
    });
  }

  sheet.addEventListener('click', function (event) {
    var close = event.target.closest('[data-action=close]');
    if (!close) return;
    event.preventDefault();
    closeSheet();
    say('Point the camera at a badge QR.');
  });

  document.addEventListener('keydown', function (event) {
    var note = sheetBody.querySelector('textarea');
    if (event.key === 'Escape' && isOpen() && !(note && note.value.trim())) closeSheet();  // never drop a note
  });

  // ---- typed codes work exactly like a scan ----------------------------------------------------
  function showCodeError(message) {
    $('code-error-text').textContent = message;
    $('code-error').hidden = false;
    codeInput.setAttribute('aria-invalid', 'true');
    codeInput.setAttribute('aria-describedby', 'code-hint code-error');
    codeInput.closest('.field').classList.add('has-error');
    codeInput.focus();
  }

  function clearCodeError() {
    $('code-error').hidden = true;
    codeInput.removeAttribute('aria-invalid');
    codeInput.setAttribute('aria-describedby', 'code-hint');
    codeInput.closest('.field').classList.remove('has-error');
  }

  codeForm.addEventListener('submit', function (event) {
    event.preventDefault();
    handle(codeInput.value, true);
  });

  // ---- the waiting list and the answers ---------------------------------------------------------
  function item(text, detail, extra) {
    var li = document.createElement('li');
    var strong = document.createElement('strong');
    strong.textContent = text;
    li.appendChild(strong);
    if (detail) {
      var span = document.createElement('span');
      span.className = 'scan-detail';
      span.textContent = detail;
      li.appendChild(span);
    }
    if (extra) li.appendChild(extra);
    return li;
  }

  function shown(text) {
    var found = recognise(text, true);
    return found.code ? display(found.code) : text;
  }

  function renderLists() {
    if (!queue || !window.indexedDB) return Promise.resolve();
    return Promise.all([queue.waiting(), queue.results()]).then(function (both) {
      var waiting = both[0].filter(function (s) { return String(s.attendee) === cfg.attendee; });
      var results = both[1].filter(function (s) { return String(s.attendee) === cfg.attendee; });
      $('waiting-count').textContent = waiting.length;
      $('waiting-list').replaceChildren.apply($('waiting-list'), waiting.map(function (s) {
        return item(s.name || shown(s.text), s.note ? 'Note: ' + s.note : 'No note');
      }));
      $('waiting-block').hidden = waiting.length === 0;
      $('results-list').replaceChildren.apply($('results-list'), results.map(function (r) {
        var ok = r.status === 'saved' || r.status === 'duplicate';
        var li;
        if (ok) {
          li = item('Saved ' + (r.name || shown(r.text)), r.note ? 'Note: ' + r.note : null);
        } else {
          var dismiss = document.createElement('button');
          dismiss.type = 'button';
          dismiss.className = 'button small';
          dismiss.dataset.dismiss = r.uuid;
          dismiss.textContent = 'Dismiss';
          li = item('Not saved: ' + shown(r.text), r.message + (r.note ? ' Your note: ' + r.note : ''), dismiss);
          li.className = 'problem';
        }
        li.dataset.status = r.status;
        return li;
      }));
      $('results-block').hidden = results.length === 0;
      $('sync-panel').hidden = waiting.length === 0 && results.length === 0;
      var pill = $('waiting-pill');
      pill.hidden = waiting.length === 0;
      pill.textContent = waiting.length + ' waiting to sync';
    }).catch(function () { /* IndexedDB unavailable: nothing queued here */ });
  }

  $('sync-panel').addEventListener('click', function (event) {
    var dismiss = event.target.closest('[data-dismiss]');
    if (dismiss) { queue.dismiss(dismiss.dataset.dismiss); return; }
    if (event.target.closest('#clear-results')) { queue.clearResults(); return; }
    if (event.target.closest('#sync-now')) {
      $('sync-state').textContent = 'Sending…';
      queue.flushSoon();
    }
  });

  document.addEventListener('pln:synced', function (event) {
    var outcome = event.detail || {};
    var state = $('sync-state');
    if (outcome.signedOut) state.textContent = 'Sign in again to send these.';
    else if (outcome.retry && outcome.message) state.textContent = outcome.message;
    else if (outcome.retry) state.textContent = navigator.onLine ? 'The server did not answer; trying again soon.' : 'Kept on this phone, and sent when the network returns.';
    else state.textContent = 'Kept on this phone, and sent when the network returns.';
    if (outcome.sent && !saving && !isOpen()) {
      say('Sent ' + outcome.sent + (outcome.sent === 1 ? ' scan' : ' scans') + ' waiting on this phone: see the list below.', 'ok');
    }
    renderLists();
  });
  window.addEventListener('offline', function () { say('No network: scans are kept on this phone.', 'ok'); });
  if (queue) queue.onChange(renderLists);
  renderLists();

  // ---- the camera ----------------------------------------------------------------------------
  function cameraProblem(message) {
    viewfinder.hidden = true;
    var problem = $('camera-problem');
    problem.textContent = message;
    problem.hidden = false;
    codeInput.focus();
  }

  var MESSAGES = {
    insecure: 'The camera needs a secure (https) connection. Type the code printed under the badge\'s QR instead.',
    denied: 'The camera is not allowed for this site. Type the code printed under the badge\'s QR, or allow the camera in your browser\'s settings and reload.',
    none: 'No camera was found on this device. Type the code printed under the badge\'s QR instead.',
    other: 'The camera could not start. Type the code printed under the badge\'s QR instead.'
  };

  // qr-scanner reports most failures as "Camera not found.": ask the browser what really happened.
  function explain(error) {
    if (!window.isSecureContext) return Promise.resolve(MESSAGES.insecure);
    if (error && error.name === 'NotAllowedError') return Promise.resolve(MESSAGES.denied);
    var permission = navigator.permissions && navigator.permissions.query
      ? navigator.permissions.query({ name: 'camera' }).then(function (p) { return p.state; }, function () { return null; })
      : Promise.resolve(null);
    return permission.then(function (state) {
      if (state === 'denied') return MESSAGES.denied;
      if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return MESSAGES.none;
      return navigator.mediaDevices.enumerateDevices().then(function (devices) {
        return devices.some(function (d) { return d.kind === 'videoinput'; }) ? MESSAGES.other : MESSAGES.none;
      }, function () { return MESSAGES.other; });
    });
  }

  function setUpTools() {
    scanner.hasFlash().then(function (has) {
      var torch = $('torch');
      torch.hidden = !has;
    }).catch(function () {});
    window.QrScanner.listCameras(false).then(function (cameras) {
      $('switch-camera').hidden = cameras.length < 2;
    }).catch(function () {});
  }

  $('torch').addEventListener('click', function () {
    var button = this;
    scanner.toggleFlash().then(function () {
      button.setAttribute('aria-pressed', String(scanner.isFlashOn()));
    }).catch(function () { button.hidden = true; });
  });

  var facing = 'environment';
  $('switch-camera').addEventListener('click', function () {
    facing = facing === 'environment' ? 'user' : 'environment';
    scanner.setCamera(facing).then(setUpTools).catch(function () {});
  });

  function startCamera() {
    if (!window.QrScanner) { cameraProblem('The scanner could not load. Type the code printed under the badge\'s QR instead.'); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { explain(null).then(cameraProblem); return; }
    // No camera at all (a laptop without one): say so at once, without opening the viewfinder and
    // closing it again, which shifts the whole page.
    if (navigator.mediaDevices.enumerateDevices) {
      navigator.mediaDevices.enumerateDevices().then(function (devices) {
        if (devices.some(function (d) { return d.kind === 'videoinput'; })) openCamera();
        else cameraProblem(MESSAGES.none);
      }, openCamera);
      return;
    }
    openCamera();
  }

  function openCamera() {
    viewfinder.hidden = false;
    scanner = new window.QrScanner(video, onDecode, {
      preferredCamera: 'environment', returnDetailedScanResult: true, maxScansPerSecond: 25,
      onDecodeError: function () { /* most frames hold no QR */ }
    });
    cameraStartedAt = performance.now();
    scanner.start().then(function () {
      say('Point the camera at a badge QR.');
      setUpTools();
    }).catch(function (error) {
      scanner.destroy();
      scanner = null;
      explain(error).then(cameraProblem);
    });
  }

  window.addEventListener('pagehide', function () { if (scanner) scanner.stop(); });
  window.addEventListener('pageshow', function (event) { if (event.persisted && scanner) scanner.start().catch(function () {}); });

  startCamera();
})();
