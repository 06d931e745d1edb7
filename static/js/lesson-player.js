/* Lesson page: progress reporting for <mux-player> and a no-reload "mark complete".
 *
 * - The first "play" of a page view sends the start event (video_1_started / video_started) to the
 *   analytics beacon, POST /analytics/events/.
 * - While playing, the position goes to the lesson's position endpoint every ~10 s, on pause, and when the
 *   page is hidden (sendBeacon), so the lesson resumes there on any device.
 * - "ended" completes the lesson through the progress endpoint with source=video (the server records the
 *   video completion event; it never goes through the beacon).
 * Without JavaScript the page still works: the "mark complete" form posts and redirects back.
 */
(function () {
  "use strict";

  var REPORT_EVERY_MS = 10000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.status === 204 ? null : response.json();
    });
  }

  /* ---- Mark complete / not complete ------------------------------------------------------ */
  var form = document.querySelector("[data-complete-form]");
  var statusLine = document.querySelector("[data-complete-status]");

  function renderCompleted(completed, message) {
    if (!form) return;
    var button = form.querySelector("[data-complete-button]");
    form.dataset.completed = completed ? "true" : "false";
    form.action = completed ? form.dataset.uncompleteUrl : form.dataset.completeUrl;
    if (button) {
      button.classList.toggle("button--done", completed);
      button.innerHTML = completed
        ? '✓ Completed <span class="visually-hidden">— mark as not complete</span>'
        : "Mark complete";
    }
    var icon = document.querySelector("[data-current-lesson] [data-status-icon]");
    if (icon && !icon.classList.contains("status-icon--locked")) {
      icon.classList.toggle("status-icon--done", completed);
      icon.textContent = completed ? "✓" : "";
    }
    if (statusLine && message) statusLine.textContent = message;
  }

  function completionMessage(data, completed) {
    if (data && data.module_completed) return "Module complete — well done!";
    return completed ? "Lesson marked complete." : "Lesson marked not complete.";
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("[data-complete-button]");
      if (button) button.disabled = true;
      postJSON(form.action, {})
        .then(function (data) {
          renderCompleted(data.completed, completionMessage(data, data.completed));
        })
        .catch(function () {
          // Fall back to the plain form post (and its redirect) if the fetch failed.
          form.submit();
        })
        .finally(function () {
          if (button) button.disabled = false;
        });
    });
  }

  /* ---- Player ----------------------------------------------------------------------------- */
  var player = document.querySelector("mux-player[data-lesson-id]");
  if (!player) return;

  /* Fallback: when the player script (a static file) or the stream fails, a poster with "This video
   * couldn't load — retry" covers the player; the notes and files below stay usable. This file is deferred
   * after the player script, so by now that script has either defined <mux-player> or failed. */
  var fallback = document.querySelector("[data-player-fallback]");
  var retryButton = document.querySelector("[data-player-retry]");
  var fallbackMessage = document.querySelector("[data-player-fallback-message]");
  var playerScript = document.querySelector("script[data-mux-player-script]");

  function showFallback(message) {
    if (!fallback) return;
    if (message && fallbackMessage) fallbackMessage.textContent = message;
    fallback.hidden = false;
    player.setAttribute("aria-hidden", "true");
  }

  function hideFallback() {
    if (!fallback) return;
    fallback.hidden = true;
    player.removeAttribute("aria-hidden");
  }

  function loadPlayerScript() {
    // A fresh <script> element: the browser fetches the file again after a failure.
    var script = document.createElement("script");
    script.src = playerScript ? playerScript.src : "";
    script.addEventListener("load", hideFallback);
    script.addEventListener("error", function () {
      showFallback("Still no luck. Check your connection and try again in a moment.");
    });
    document.head.appendChild(script);
  }

  if (!window.customElements || !window.customElements.get("mux-player")) showFallback();

  // A stream that cannot be fetched or decoded: the player reports an "error" event.
  player.addEventListener("error", function () { showFallback(); });

  if (retryButton) {
    retryButton.addEventListener("click", function () {
      if (!window.customElements.get("mux-player")) {
        loadPlayerScript();
        return;
      }
      hideFallback();
      // Setting the playback id again makes the player fetch the stream from the start.
      var id = player.getAttribute("playback-id");
      player.removeAttribute("playback-id");
      player.setAttribute("playback-id", id);
    });
  }

  var lessonId = player.dataset.lessonId;
  var positionUrl = player.dataset.positionUrl;
  var completeUrl = player.dataset.completeUrl;
  var started = false;
  var ended = false;
  var lastSent = -1;
  var timer = null;

  function currentPosition() {
    var t = Number(player.currentTime);
    return isFinite(t) && t >= 0 ? Math.floor(t) : null;
  }

  function sendPosition(force) {
    var position = currentPosition();
    if (position === null || ended) return;
    if (!force && Math.abs(position - lastSent) < 1) return;
    lastSent = position;
    postJSON(positionUrl, { position: position }).catch(function () { /* retried on the next tick */ });
  }

  function beaconPosition() {
    var position = currentPosition();
    if (position === null || ended || position === lastSent) return;
    lastSent = position;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    data.append("position", String(position));
    if (navigator.sendBeacon) {
      navigator.sendBeacon(positionUrl, data);
    } else {
      fetch(positionUrl, { method: "POST", body: data, credentials: "same-origin", keepalive: true });
    }
  }

  player.addEventListener("play", function () {
    ended = false;
    if (!started) {
      started = true;
      postJSON(player.dataset.eventUrl, {
        event: player.dataset.startEvent,
        properties: { lesson_id: lessonId }
      }).catch(function () { /* analytics must never get in the way of watching */ });
    }
    if (!timer) timer = window.setInterval(function () { sendPosition(false); }, REPORT_EVERY_MS);
  });

  player.addEventListener("pause", function () {
    if (timer) { window.clearInterval(timer); timer = null; }
    // The end of the video pauses it too; "ended" handles that (and rewinds the saved position).
    if (player.ended) return;
    sendPosition(true);
  });

  player.addEventListener("ended", function () {
    if (timer) { window.clearInterval(timer); timer = null; }
    ended = true;
    postJSON(completeUrl, { source: "video" })
      .then(function (data) {
        renderCompleted(true, completionMessage(data, true));
      })
      .catch(function () {
        if (statusLine) statusLine.textContent = "We couldn't save your progress. Use “Mark complete” instead.";
      });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") beaconPosition();
  });
  window.addEventListener("pagehide", beaconPosition);
})();
