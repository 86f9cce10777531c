// "Copy" and "Share" buttons, hidden until this browser can do what they say:
//   <button data-copy="#field" hidden>: copies the field's text (where the clipboard works);
//   <button data-share="#field" data-share-title="…" hidden>: the phone's share sheet (Web Share API);
//   data-copy-unless-share: a copy button that stays hidden where the share sheet exists (it copies too).
// Without JavaScript the text stays selectable in its field.
// "Install" (data-install): Chrome's install prompt, where Chrome offers one.
(function () {
  if (window.plnCopy) return;
  window.plnCopy = true;
  var canShare = typeof navigator.share === "function";
  var installPrompt = null;
  function reveal() {
    if (canShare) document.querySelectorAll("[data-share][hidden]").forEach(function (b) { b.hidden = false; });
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) {
      if (!(canShare && b.hasAttribute("data-copy-unless-share"))) b.hidden = false;
    });
  }
  function text(selector) {
    var source = document.querySelector(selector);
    return source ? (source.value || source.textContent) : null;
  }
  document.addEventListener("click", function (event) {
    var share = event.target.closest("[data-share]");
    if (share) {
      var url = text(share.getAttribute("data-share"));
      if (url) navigator.share({ title: share.getAttribute("data-share-title") || document.title, url: url }).catch(function () { /* closed */ });
      return;
    }
    var install = event.target.closest("[data-install]");
    if (install && installPrompt) {
      installPrompt.prompt();
      installPrompt = null;
      install.hidden = true;
      return;
    }
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var value = text(button.getAttribute("data-copy"));
    if (value === null) return;
    var label = button.textContent;
    navigator.clipboard.writeText(value).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installPrompt = event;
    document.querySelectorAll("[data-install][hidden]").forEach(function (b) { b.hidden = false; });
  });
  document.addEventListener("htmx:afterSettle", reveal);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal); else reveal();
})();
