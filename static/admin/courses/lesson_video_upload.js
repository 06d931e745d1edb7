/* Lesson admin: upload a video straight from the browser to Mux.
 *
 * 1. POST the file's name, type and size to the admin (which checks it is a video and opens a Mux
 *    direct upload for the lesson), 2. PUT the file to the upload URL Mux returned, with a progress bar,
 * 3. poll the lesson's video state until Mux's webhooks mark it ready or errored.
 */
(function () {
  "use strict";

  var VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|qt|webm|mkv|avi|mpeg|mpg|mxf|ts|mts|m2ts|wmv|flv|3gp|ogv)$/i;
  var POLL_MS = 4000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function init(panel) {
    var el = function (role) { return panel.querySelector("[data-role=" + role + "]"); };
    var fileInput = el("file"), start = el("start"), status = el("status"), details = el("details");
    var error = el("error"), wrap = el("progress-wrap"), bar = el("progress"), text = el("progress-text");
    var pollTimer = null;

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    function showState(state) {
      status.textContent = state.status_label;
      status.className = "video-status video-status--" + state.status.toLowerCase();
      panel.dataset.status = state.status;
      details.textContent = state.status === "READY" && state.playback_id
        ? (state.duration ? state.duration + " s · " : "") + "playback id " + state.playback_id
        : state.status === "PROCESSING" ? "Mux is processing the video; this page updates when it is ready."
        : state.status === "WAITING" ? "A Mux upload is open; waiting for the file." : "";
      showError(state.error || "");
    }

    function poll() {
      window.clearTimeout(pollTimer);
      fetch(panel.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          showState(state);
          if (state.status === "WAITING" || state.status === "PROCESSING") {
            pollTimer = window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () { pollTimer = window.setTimeout(poll, POLL_MS * 2); });
    }

    function putToMux(url, file) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) { return; }
        var percent = Math.round((event.loaded / event.total) * 100);
        bar.value = percent;
        text.textContent = percent + "% of " + (file.size / 1048576).toFixed(1) + " MB";
      });
      xhr.addEventListener("load", function () {
        start.disabled = false;
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100;
          text.textContent = "Uploaded. Mux is processing the video.";
          poll();
        } else {
          showError("Mux refused the file (HTTP " + xhr.status + "). Try again.");
        }
      });
      xhr.addEventListener("error", function () {
        start.disabled = false;
        showError("The upload to Mux was interrupted. Check the connection and try again.");
      });
      xhr.send(file);
    }

    start.addEventListener("click", function () {
      var file = fileInput.files && fileInput.files[0];
      showError("");
      if (!file) { showError("Choose a video file first."); return; }
      if (!(file.type.indexOf("video/") === 0 || (!file.type && VIDEO_EXTENSIONS.test(file.name)))) {
        showError("“" + file.name + "” is not a video file. Choose a video (MP4, MOV, WebM, MKV …).");
        return;
      }
      var body = new FormData();
      body.append("file_name", file.name);
      body.append("content_type", file.type);
      body.append("size", String(file.size));
      start.disabled = true;
      wrap.hidden = false;
      bar.value = 0;
      text.textContent = "Opening an upload with Mux…";
      fetch(panel.dataset.uploadUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (!result.ok) {
            start.disabled = false;
            wrap.hidden = true;
            showError(result.data.error || "The upload could not be started.");
            return;
          }
          showState(result.data);
          putToMux(result.data.upload_url, file);
        })
        .catch(function () {
          start.disabled = false;
          wrap.hidden = true;
          showError("The upload could not be started: the server did not answer.");
        });
    });

    if (panel.dataset.status === "WAITING" || panel.dataset.status === "PROCESSING") {
      pollTimer = window.setTimeout(poll, POLL_MS);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".lesson-video[data-upload-url]"), init);
  });
})();
