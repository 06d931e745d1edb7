/* Every page: the header's menu button under 40rem (640 px).
 * Without JavaScript the button stays hidden and the nav stays open, so every link is always reachable. */
(function () {
  "use strict";

  var header = document.querySelector("[data-site-header]");
  var button = header && header.querySelector("[data-menu-button]");
  var nav = header && document.getElementById("site-nav");
  if (!button || !nav) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.dataset.menu = open ? "open" : "closed";
  }

  button.hidden = false;
  setOpen(false);
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
