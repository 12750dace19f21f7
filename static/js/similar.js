// Suggests existing threads while a new thread's title is typed. Progressive enhancement:
// any <input data-similar-url="…" data-similar-target="id"> gets the server-rendered
// fragment of {data-similar-url}?title=… put into the element with that id.
(function () {
  "use strict";

  var DELAY_MS = 300;
  var MIN_LENGTH = 3;

  function attach(input) {
    var target = document.getElementById(input.getAttribute("data-similar-target"));
    var url = new URL(input.getAttribute("data-similar-url"), window.location.href);
    // The fragment is inserted as HTML, so it may only come from this site.
    if (!target || url.origin !== window.location.origin) return;
    var timer = null;
    var controller = null;
    var shown = null;

    function show(html) {
      target.innerHTML = html.trim();  // trimmed, so .similar:empty can hide the box
    }

    function refresh() {
      var title = input.value.trim();
      if (title === shown) return;
      shown = title;
      if (controller) controller.abort();
      if (title.length < MIN_LENGTH) {
        controller = null;
        show("");
        return;
      }
      controller = new AbortController();
      url.searchParams.set("title", title);
      fetch(url.toString(), {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(show)
        .catch(function (error) {
          // An aborted request was replaced by a newer one; anything else just hides the box.
          if (error.name !== "AbortError") show("");
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    });
  }

  function start() {
    document.querySelectorAll("input[data-similar-url]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
