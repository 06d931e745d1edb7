/* Lesson admin: re-render the body preview (TipTap JSON → the lesson page's sanitised HTML) as the
 * admin edits the JSON. The server renders it, so the preview is exactly what learners will see. */
(function () {
  "use strict";

  var DELAY_MS = 400;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var textarea = document.querySelector("textarea.tiptap-json");
    var preview = document.querySelector(".lesson-preview[data-preview-url]");
    if (!textarea || !preview) { return; }
    var body = preview.querySelector("[data-role=body]");
    var errors = preview.querySelector("[data-role=errors]");
    var timer = null, latest = 0;

    function showErrors(list) {
      errors.textContent = "";
      list.forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        errors.appendChild(item);
      });
      errors.hidden = list.length === 0;
    }

    function render() {
      var request = ++latest;
      var form = new FormData();
      form.append("content", textarea.value);
      fetch(preview.dataset.previewUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (request !== latest) { return; }  // an older answer arriving late
          showErrors(data.errors || []);
          if (!data.errors || data.errors.length === 0) {
            body.innerHTML = data.html;  // sanitised on the server by the lesson page's renderer (nh3)
          }
        })
        .catch(function () { showErrors(["The preview could not be rendered: the server did not answer."]); });
    }

    // After a refused save the textarea holds the submitted (invalid) text while the preview still shows
    // the saved body; render once so the preview and its errors match what is in the box.
    if (textarea.closest(".errors")) { render(); }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, DELAY_MS);
    });
  });
})();
