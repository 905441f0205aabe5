// Archipel: an item page's chapter links seek its player, and a
// #t=SECONDS address starts it there. Without JavaScript the chapters
// are still listed with their start times.
(function () {
  "use strict";

  function player() {
    return document.querySelector(".player video, .player audio");
  }

  function seek(seconds, play) {
    var media = player();
    if (!media || !isFinite(seconds)) {
      return;
    }
    var go = function () {
      media.currentTime = seconds;
      if (play) {
        media.play().catch(function () {});
      }
    };
    if (media.readyState >= 1) {
      go();
    } else {
      media.addEventListener("loadedmetadata", go, { once: true });
      media.load();
    }
  }

  function fromHash() {
    var m = /^#t=(\d+)$/.exec(location.hash);
    if (m) {
      seek(parseInt(m[1], 10), false);
    }
  }

  function init() {
    document.querySelectorAll("a[data-seek]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        history.replaceState(null, "", a.getAttribute("href"));
        seek(parseInt(a.getAttribute("data-seek"), 10), true);
        var media = player();
        if (media) {
          media.focus();
        }
      });
    });
    fromHash();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
