// "Copy" buttons: <button data-copy="#textarea-id" hidden>. Shown only where the clipboard works;
// without JavaScript the text stays selectable in its field.
(function () {
  if (window.plnCopy) return;
  window.plnCopy = true;
  function reveal() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.textContent;
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
  document.addEventListener("htmx:afterSettle", reveal);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal); else reveal();
})();
