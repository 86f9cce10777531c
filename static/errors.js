/* Every htmx request that fails says so where the person is looking.
   - Boosted links and forms are page loads: an error page (404, 410, 429 ...) is shown the way the
     browser shows it without JavaScript, instead of htmx's default of swapping nothing.
   - A request that swaps one part of a page (a note, a dismiss button, a follow-up) and gets an
     error page, or no answer at all, keeps the page as it is (nothing typed is lost) and puts the
     error page's message beside the form or link that sent it. */
(function () {
  'use strict';
  var CLASS = 'request-error';

  document.addEventListener('htmx:beforeSwap', function (event) {
    var detail = event.detail;
    if (detail.boosted && detail.xhr && detail.xhr.status >= 400) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // "Title. Message" from one of our error pages or fragments: an alert first, else the heading and
  // the paragraph after it.
  function messageOf(xhr) {
    var type = (xhr.getResponseHeader('Content-Type') || '').toLowerCase();
    if (type.indexOf('json') >= 0) {
      try { return JSON.parse(xhr.responseText).message || null; } catch (e) { return null; }
    }
    if (type.indexOf('html') < 0 || !xhr.responseText) return null;
    var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
    var alert = doc.querySelector('main [role=alert], [role=alert]');
    if (alert && alert.textContent.trim()) return alert.textContent.replace(/\s+/g, ' ').trim();
    var heading = doc.querySelector('main h1');
    if (!heading) return null;
    var next = heading.nextElementSibling;
    var text = heading.textContent.trim().replace(/[.!?]?$/, '.');
    if (next && next.tagName === 'P') text += ' ' + next.textContent.trim();
    return text.replace(/\s+/g, ' ');
  }

  function holderOf(elt) {
    return elt.closest('form') || elt;
  }

  function clear(elt) {
    var holder = holderOf(elt);
    var old = holder.tagName === 'FORM' ? holder.querySelector('.' + CLASS)
      : (holder.nextElementSibling && holder.nextElementSibling.classList.contains(CLASS) ? holder.nextElementSibling : null);
    if (old) old.remove();
  }

  function show(elt, text) {
    if (!elt || !elt.isConnected) elt = document.getElementById('main');
    clear(elt);
    var box = document.createElement('p');
    box.className = 'notice warning ' + CLASS;
    box.setAttribute('role', 'alert');
    box.textContent = text;
    var holder = holderOf(elt);
    if (holder.tagName === 'FORM') holder.appendChild(box);
    else if (holder.tagName === 'A' || holder.tagName === 'BUTTON') holder.insertAdjacentElement('afterend', box);
    else holder.insertBefore(box, holder.firstChild);   // a region that refreshes itself
  }

  document.addEventListener('htmx:beforeRequest', function (event) { clear(event.detail.elt); });

  document.addEventListener('htmx:responseError', function (event) {
    var xhr = event.detail.xhr;
    var text = messageOf(xhr) || 'That did not work (error ' + xhr.status + '). Reload the page and try again.';
    show(event.detail.elt, text);
  });

  function noAnswer(event) {
    show(event.detail.elt, navigator.onLine === false
      ? 'No network: nothing was sent. What you typed is still here; try again when you are back online.'
      : 'The server did not answer: nothing was sent. What you typed is still here; try again in a moment.');
  }
  document.addEventListener('htmx:sendError', noAnswer);
  document.addEventListener('htmx:timeout', noAnswer);
})();
