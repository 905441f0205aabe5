// Archipel: "Copy" buttons for read-only fields, such as a channel's
// fediverse handle. Without JavaScript the buttons stay hidden and the
// field can still be selected and copied by hand.
(function () {
  "use strict";

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    // Plain-HTTP pages have no clipboard API: copy the selection instead.
    input.focus();
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  // say fills a status with its data-msg-NAME text, %s being arg.
  function say(status, name, arg) {
    status.textContent = (status.getAttribute("data-msg-" + name) || "").replace("%s", arg);
  }

  function setUp(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) {
      return;
    }
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    var timer;
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      copyText(input).then(function () {
        if (status) {
          say(status, "done", input.value);
        }
      }, function () {
        input.focus();
        input.select();
        if (status) {
          say(status, "failed", "");
        }
      }).then(function () {
        clearTimeout(timer);
        timer = setTimeout(function () { if (status) { status.textContent = ""; } }, 5000);
      });
    });
    button.hidden = false;
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      setUp(buttons[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
