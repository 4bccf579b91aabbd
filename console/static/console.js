// The console's only script: live refresh of marked regions, and confirmation of marked forms.
// Everything works without it (plain links and form posts); it only saves reloads and mistakes.
(function () {
  "use strict";
  var FINISHED = ["COMPLETED", "CANCELLED", "FAILED", "COMPENSATED"];

  function refresh(el) {
    var every = parseInt(el.getAttribute("data-every") || "5000", 10);
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      fetch(el.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html === null || html === undefined) { return; }
          if (el.innerHTML.trim() !== html.trim()) { el.innerHTML = html; }
          if (el.hasAttribute("data-reload-when-finished")) {
            var svg = el.querySelector("svg[data-status]");
            if (svg && FINISHED.indexOf(svg.getAttribute("data-status")) >= 0) { window.location.reload(); return; }
          }
        })
        .catch(function () { /* offline for a moment: try again on the next tick */ })
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
