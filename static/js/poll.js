// Live polls: on "poll.changed" for a poll on this page, fetch the poll partial rendered
// for this viewer (data-poll-url) and swap it in. HTML comes from the server, never built here.
(function () {
  "use strict";
  if (window.communityPolls) return;  // the partial may be on the page more than once
  window.communityPolls = true;

  // setTimeout cannot wait longer than about 24 days; a page open that long can reload.
  var MAX_WAIT_MS = 24 * 60 * 60 * 1000;
  var timers = new WeakMap();

  function sameOrigin(url) {
    return new URL(url, window.location.href).origin === window.location.origin;
  }

  function isDirty(el) {
    // A half-filled ballot is the member's; an update waits until they vote or reload.
    return Array.prototype.some.call(el.querySelectorAll("input[name=option_id]"), function (input) {
      return input.checked !== input.defaultChecked;
    });
  }

  function refresh(el) {
    var url = el.getAttribute("data-poll-url");
    if (!url || !sameOrigin(url) || isDirty(el)) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || !el.isConnected) return;
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var fresh = template.content.querySelector("[data-poll-url]");
        if (!fresh || isDirty(el)) return;
        var focusedId = el.contains(document.activeElement) ? document.activeElement.id : null;
        el.replaceWith(fresh);
        if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
        watchClosing(fresh);
      })
      .catch(function () { /* the page keeps the poll it has */ });
  }

  function watchClosing(el) {
    // A poll that reaches its closing time sends no event: refresh it then.
    var closesAt = el.getAttribute("data-closes-at");
    if (!closesAt) return;
    var wait = Date.parse(closesAt) - Date.now() + 1000;
    if (!(wait > 0) || wait > MAX_WAIT_MS) return;
    clearTimeout(timers.get(el));
    timers.set(el, setTimeout(function () { refresh(el); }, wait));
  }

  function onChanged(data) {
    var el = document.getElementById("poll-" + data.poll_id);
    if (!el) {
      // A poll just added to a thread shown here without one.
      el = document.querySelector('[data-poll-slot][data-thread-id="' + Number(data.thread_id) + '"]');
    }
    if (el) refresh(el);
  }

  var started = false;
  function start() {
    if (started) return;
    started = true;
    document.querySelectorAll("[data-poll-id]").forEach(watchClosing);
    if (window.communityLive) window.communityLive.on("poll.changed", onChanged);
  }

  // live.js (which sets window.communityLive) comes later in the page, so wait for it.
  if (document.readyState === "complete") start();
  else {
    document.addEventListener("DOMContentLoaded", start);
    window.addEventListener("load", start);
  }
})();
