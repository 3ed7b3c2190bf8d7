// Page behaviour beyond htmx. Upload progress for /ui/upload: htmx sends the form by XHR and reports its progress here.
// A static file, not inline script: the pages' Content-Security-Policy allows 'self' only.
(function () {
  "use strict";
  function show(percent, text) {
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    if (bar) { bar.value = percent; bar.textContent = percent + "%"; }
    if (status && text !== null) { status.textContent = text; }
  }
  var lastAnnounced = -1;
  document.addEventListener("htmx:xhr:progress", function (event) {
    var detail = event.detail;
    if (!detail || !detail.lengthComputable || !detail.total) { return; }
    var percent = Math.floor((detail.loaded / detail.total) * 100);
    // Screen readers hear every 25%, not every progress event.
    var step = Math.floor(percent / 25) * 25;
    var text = null;
    if (step !== lastAnnounced) { lastAnnounced = step; text = "Uploaded " + step + "%"; }
    show(percent, text);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target && event.target.id === "upload-form") {
      lastAnnounced = -1;
      show(0, "Uploading…");
    }
  });
  // beforeSwap, not afterRequest: a refusal replaces the form, and events of the replaced
  // (detached) form no longer reach the document.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!event.target || event.target.id !== "upload-form" || !xhr) { return; }
    if (xhr.status >= 400) {
      show(100, "Uploaded, but the registry refused the package: see the error in the form.");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!event.target || event.target.id !== "upload-form" || !xhr) { return; }
    if (xhr.status < 300) { show(100, "Upload complete; opening the package."); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var alert = document.getElementById("upload-error") || document.getElementById("ingest-error");
    if (alert && event.target && event.target.contains(alert)) { alert.focus(); }
    // The license check swaps only its result: mark the URL field from what came back.
    if (event.target && event.target.id === "license-result") {
      var input = document.getElementById("license-github");
      if (input && document.getElementById("license-error")) {
        input.setAttribute("aria-invalid", "true");
      } else if (input) {
        input.removeAttribute("aria-invalid");
      }
    }
  });
  // Progress can only be reported by script (and htmx): without it the card stays hidden.
  document.addEventListener("DOMContentLoaded", function () {
    var card = document.getElementById("upload-progress-card");
    if (card && window.htmx) { card.hidden = false; }
  });
})();
