// The review queue, live: items arrive, change (claimed, flagged again) and vanish as
// moderators work them. The server renders every item; this only fetches and places them.
(function () {
  "use strict";
  const list = document.getElementById("review-queue");
  const live = window.communityLive;
  if (!list || !live) return;
  const empty = document.getElementById("queue-empty");
  const status = document.getElementById("queue-live");
  const kind = list.dataset.kind;
  const fragmentUrl = (id) => list.dataset.fragment.replace(/\/0\/fragment$/, "/" + id + "/fragment");

  function say(message) {
    if (status) status.textContent = message;
  }

  function refreshEmpty() {
    if (empty) empty.hidden = list.querySelector("[data-item-id]") !== null;
  }

  async function fetchItem(id) {
    const response = await fetch(fragmentUrl(id), { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    return template.content.firstElementChild;
  }

  function place(element, createdAt) {
    // Oldest first: insert before the first item that arrived later.
    const later = [...list.querySelectorAll("[data-item-id]")].find((el) => {
      const time = el.querySelector("time");
      return time && time.getAttribute("datetime") > createdAt;
    });
    list.insertBefore(element, later || null);
  }

  live.on("moderation.item", async (data) => {
    const item = data.item;
    const existing = document.getElementById("item-" + item.id);
    if (item.status !== "open" || (kind && item.kind !== kind)) {
      if (existing) {
        existing.remove();
        say("An item was " + (item.resolution || "handled") + " by another moderator.");
      }
      refreshEmpty();
      return;
    }
    const fresh = await fetchItem(item.id);
    if (!fresh) return;
    const current = document.getElementById("item-" + item.id);
    if (current) current.replaceWith(fresh);
    else {
      place(fresh, item.created_at);
      say("A new item is waiting for review.");
    }
    refreshEmpty();
  });

  live.socket.emit("subscribe", { room: "moderation" }, () => {});
  live.socket.on("connect", () => live.socket.emit("subscribe", { room: "moderation" }, () => {}));
})();
