/* /billing/success/: poll billing:status until Stripe's webhook has granted access, then open the course.
 * Progress shows at once; after 8 s the page says plainly that it is slow and what the learner can do. */
(function () {
  "use strict";

  var root = document.getElementById("billing-wait");
  if (!root) return;
  var url = root.dataset.statusUrl;
  var progress = root.querySelector("[data-billing-wait-progress]");
  var slow = root.querySelector("[data-billing-wait-slow]");
  var started = Date.now();
  var SLOW_AFTER_MS = 8000;
  var POLL_MS = 2000;

  function seconds() { return Math.round((Date.now() - started) / 1000); }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.ready && body.next) {
          if (progress) progress.textContent = "Confirmed. Opening the course…";
          window.location.assign(body.next);
          return true;
        }
        return false;
      })
      .catch(function () { return false; /* offline for a moment: try again */ })
      .then(function (done) {
        if (done) return;
        if (progress) progress.textContent = "Still waiting for Stripe's confirmation (" + seconds() + " s)…";
        if (slow && Date.now() - started > SLOW_AFTER_MS) slow.hidden = false;
        window.setTimeout(poll, POLL_MS);
      });
  }

  window.setTimeout(poll, 500);
})();
