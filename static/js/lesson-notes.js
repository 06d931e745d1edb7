/* Lesson page: private notes beside the player.
 *
 * - "Note at 03:12" follows the player's currentTime and saves the note at that second; "Save note"
 *   saves it without a timestamp. Both post with fetch, so the video keeps playing, and the note is
 *   added to the list in video order.
 * - A note's timestamp button seeks the player there (and plays); opening the lesson from /notes/ at
 *   "#note-<id>" starts the video at that note.
 * Without JavaScript the form posts and the page reloads at the note; timestamps need the player anyway.
 */
(function () {
  "use strict";

  var panel = document.querySelector("[data-lesson-notes]");
  if (!panel) return;
  var form = panel.querySelector("[data-note-form]");
  var list = panel.querySelector("[data-note-list]");
  var status = panel.querySelector("[data-note-status]");
  var atButton = panel.querySelector("[data-note-at]");
  var atLabel = panel.querySelector("[data-note-at-label]");
  var positionInput = panel.querySelector("[data-note-position]");
  var player = document.querySelector("mux-player[data-lesson-id]");

  function stamp(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function now() {
    if (!player) return null;
    var t = Number(player.currentTime);
    if (!isFinite(t) || t < 0) return 0;
    var duration = Number(player.dataset.duration);
    return Math.floor(isFinite(duration) && duration > 0 ? Math.min(t, duration) : t);
  }

  function refreshLabel() {
    var t = now();
    if (atLabel && t !== null) atLabel.textContent = stamp(t);
  }

  function seek(seconds) {
    if (!player) return;
    player.currentTime = seconds;
    if (typeof player.play === "function") {
      var playing = player.play();
      if (playing && typeof playing.catch === "function") playing.catch(function () { /* autoplay refused */ });
    }
    player.scrollIntoView({ block: "nearest" });
  }

  function noteItem(note) {
    var li = document.createElement("li");
    li.className = "note";
    li.id = "note-" + note.id;
    li.dataset.note = note.id;
    if (note.position !== null) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "note__time link-button";
      button.dataset.seek = String(note.position);
      button.setAttribute("aria-label", "Play from " + note.timestamp);
      button.textContent = note.timestamp;
      li.appendChild(button);
      li.appendChild(document.createTextNode(" "));
    }
    var body = document.createElement("span");
    body.className = "note__body";
    body.textContent = note.body;  // text, never HTML
    li.appendChild(body);
    return li;
  }

  function insertInOrder(li, position) {
    var empty = list.querySelector("[data-note-empty]");
    if (empty) empty.remove();
    if (position === null) { list.appendChild(li); return; }
    var items = list.querySelectorAll("[data-note]");
    for (var i = 0; i < items.length; i++) {
      var seekButton = items[i].querySelector("[data-seek]");
      if (!seekButton || Number(seekButton.dataset.seek) > position) {
        list.insertBefore(li, items[i]);
        return;
      }
    }
    list.appendChild(li);
  }

  if (player && atButton) {
    atButton.hidden = false;
    refreshLabel();
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
      player.addEventListener(name, refreshLabel);
    });
  }

  // Arriving from /notes/ at "#note-<id>": start the video at that note's moment (without autoplay).
  var linked = /^#note-[a-z0-9]+$/.test(location.hash) && list.querySelector(location.hash + " [data-seek]");
  if (player && linked) {
    var start = Number(linked.dataset.seek);
    player.currentTime = start;
    player.addEventListener("loadedmetadata", function once() {
      player.removeEventListener("loadedmetadata", once);
      player.currentTime = start;
    });
    refreshLabel();
  }

  list.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek]");
    if (!target) return;
    event.preventDefault();
    seek(Number(target.dataset.seek));
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var timed = event.submitter === atButton;
    positionInput.value = timed ? String(now()) : "";
    var data = new FormData(form);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || "The note could not be saved.");
          return body;
        });
      })
      .then(function (note) {
        insertInOrder(noteItem(note), note.position);
        form.querySelector("textarea").value = "";
        status.textContent = note.position !== null ? "Note saved at " + note.timestamp + "." : "Note saved.";
      })
      .catch(function (error) {
        status.textContent = error.message || "The note could not be saved.";
      });
  });
})();
