// Organizer console: regions marked data-poll="N" (with data-hx-trigger="poll") refresh every N seconds
// while the page is visible, and at once when it becomes visible again. Kept out of data-hx-trigger
// filters, which htmx would have to eval (a strict Content-Security-Policy forbids that).
(function () {
  "use strict";
  if (window.plnPolling) return;  // loaded again by a boosted navigation
  window.plnPolling = true;
  var seen = new WeakMap();

  function tick(now) {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      var every = (parseFloat(el.getAttribute("data-poll")) || 5) * 1000;
      if (!seen.has(el)) { seen.set(el, Date.now()); }
      if (el.classList.contains("htmx-request")) return;
      if (now || Date.now() - seen.get(el) >= every) {
        seen.set(el, Date.now());
        window.htmx.trigger(el, "poll");
      }
    });
  }

  setInterval(function () { tick(false); }, 500);
  document.addEventListener("visibilitychange", function () { tick(true); });
})();
