// The notification bell: without JavaScript it is a link to /notifications; here it opens a
// panel of the latest notifications (the server's own fragment) and follows the unread count
// live through the "notification" event on the member's own room.
(function () {
  "use strict";
  const bell = document.getElementById("bell");
  const panel = document.getElementById("bell-panel");
  if (!bell || !panel) return;
  const count = document.getElementById("bell-count");
  const status = document.getElementById("bell-status");
  let open = false;

  bell.setAttribute("aria-expanded", "false");
  bell.setAttribute("aria-controls", "bell-panel");

  function setUnread(unread) {
    bell.dataset.unread = String(unread);
    bell.classList.toggle("has-unread", unread > 0);
    bell.setAttribute("aria-label", unread ? "Notifications (" + unread + " unread)" : "Notifications");
    count.textContent = unread < 100 ? String(unread) : "99+";
    count.hidden = unread === 0;
  }

  async function load() {
    const here = window.location.pathname + window.location.search;
    const url = bell.dataset.panel + "?next=" + encodeURIComponent(here);
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      panel.replaceChildren(template.content);
    } catch (err) {
      // Offline: the panel keeps what it had; the link still leads to the full page.
    }
  }

  async function show() {
    open = true;
    panel.hidden = false;
    bell.setAttribute("aria-expanded", "true");
    await load();
    const first = panel.querySelector("a, button");
    if (open && first) first.focus();
  }

  function hide(returnFocus) {
    open = false;
    panel.hidden = true;
    bell.setAttribute("aria-expanded", "false");
    if (returnFocus) bell.focus();
  }

  bell.addEventListener("click", (event) => {
    // A modified click opens the page as a link would.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (open) hide(false);
    else show();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open) hide(true);
  });
  document.addEventListener("click", (event) => {
    if (open && !panel.contains(event.target) && !bell.contains(event.target)) hide(false);
  });

  if (window.communityLive) {
    window.communityLive.on("notification", (data) => {
      if (!data || typeof data.unread !== "number") return;
      setUnread(data.unread);
      if (data.notification) {
        status.textContent = "New notification: " + data.notification.message;
        bell.classList.remove("ring");
        void bell.offsetWidth;  // restart the animation
        bell.classList.add("ring");
      }
      if (open) load();
    });
  }
})();
