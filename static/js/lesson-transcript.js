/* Lesson page: the interactive transcript beside the video.
 *
 * - While the video plays, the cue being spoken is highlighted (aria-current) and kept in view inside the
 *   transcript's own scroll box (never scrolling the page under the learner).
 * - Each cue is a <button>: click, Enter or Space seeks the player to it and plays.
 * Without the player (no video yet) the cues stay a readable transcript.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-transcript-cues]");
  var player = document.querySelector("mux-player[data-lesson-id]");
  if (!box) return;
  var cues = Array.prototype.slice.call(box.querySelectorAll("[data-start]"));
  var starts = cues.map(function (cue) { return Number(cue.dataset.start); });
  var ends = cues.map(function (cue) { return Number(cue.dataset.end); });
  var current = -1;

  function indexAt(time) {
    // The last cue starting at or before `time` (cues are in time order): a binary search.
    var low = 0, high = starts.length - 1, found = -1;
    while (low <= high) {
      var mid = (low + high) >> 1;
      if (starts[mid] <= time) { found = mid; low = mid + 1; } else { high = mid - 1; }
    }
    return found >= 0 && time < ends[found] + 0.25 ? found : -1;
  }

  function highlight(index) {
    if (index === current) return;
    if (current >= 0) cues[current].removeAttribute("aria-current");
    current = index;
    if (index < 0) return;
    var cue = cues[index];
    cue.setAttribute("aria-current", "true");
    var top = cue.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top + cue.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = top - box.clientHeight / 3;
    }
  }

  if (!player) return;

  player.addEventListener("timeupdate", function () {
    var time = Number(player.currentTime);
    if (isFinite(time)) highlight(indexAt(time));
  });

  box.addEventListener("click", function (event) {
    var cue = event.target.closest("[data-start]");
    if (!cue) return;
    var start = Number(cue.dataset.start);
    player.currentTime = start;
    highlight(cues.indexOf(cue));
    var playing = player.play && player.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: the seek still stands */ });
  });
})();
