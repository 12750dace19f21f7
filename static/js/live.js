// Live updates over Socket.IO, layered on server-rendered pages that work without it.
// HTML always comes from the server's own partials (fetched), never built here.
(function () {
  "use strict";
  if (typeof window.io !== "function") return;

  const posts = document.getElementById("posts");
  const threadList = document.getElementById("thread-list");
  const status = document.getElementById("live-status");
  const threadId = posts ? Number(posts.dataset.threadId) : null;
  const forumSlug = threadList ? threadList.dataset.forum : null;
  const roadmap = document.getElementById("roadmap");
  const board = document.getElementById("leaderboard");
  const rooms = [];
  if (threadId) rooms.push("thread:" + threadId);
  if (forumSlug) rooms.push("forum:" + forumSlug);
  if (board) rooms.push("leaderboard");
  if (roadmap && roadmap.dataset.forums) {
    roadmap.dataset.forums.split(" ").forEach((slug) => rooms.push("forum:" + slug));
  }

  const socket = window.io({ transports: ["websocket", "polling"] });

  function setStatus(state, label) {
    if (!status) return;
    status.hidden = false;
    status.dataset.state = state;
    status.querySelector(".label").textContent = label;
  }

  async function fetchHTML(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    return template.content;
  }

  function lastPostNumber() {
    const all = posts ? posts.querySelectorAll("[data-post-number]") : [];
    return all.length ? Number(all[all.length - 1].dataset.postNumber) : 0;
  }

  function setText(selector, value) {
    document.querySelectorAll(selector).forEach((el) => { el.textContent = value; });
  }

  // --- thread page ---------------------------------------------------------------------
  async function showPost(postId) {
    const existing = document.getElementById("post-" + postId);
    if (!existing && posts.dataset.lastPage !== "true") return;
    const fragment = await fetchHTML("/p/" + postId + "/fragment");
    if (!fragment) return;
    const fresh = document.getElementById("post-" + postId);
    if (fresh) fresh.replaceWith(fragment);
    else posts.appendChild(fragment);
  }

  async function catchUp() {
    if (!posts || posts.dataset.lastPage !== "true") return;
    const fragment = await fetchHTML("/t/" + threadId + "/fragment?after=" + lastPostNumber());
    if (!fragment) return;
    fragment.querySelectorAll("[data-post-id]").forEach((el) => {
      if (!document.getElementById(el.id)) posts.appendChild(el);
    });
  }

  const typers = new Map();
  function renderTyping() {
    const names = [...typers.keys()];
    const line = names.length === 0 ? "" : names.length === 1 ? names[0] + " is typing…"
      : names.slice(0, -1).join(", ") + " and " + names[names.length - 1] + " are typing…";
    setText("#typing", line);
  }

  const handlers = {
    "post.created": (data) => { if (data.thread_id === threadId) showPost(data.post.id); },
    "post.updated": (data) => { if (data.thread_id === threadId) showPost(data.post.id); },
    "post.removed": (data) => { if (data.thread_id === threadId) showPost(data.post_id); },
    "thread.updated": (data) => {
      const t = data.thread;
      if (roadmap) refreshRoadmap();
      setText('[data-replies-for="thread-' + t.id + '"]', t.reply_count);
      if (t.id === threadId) {
        setText("#thread-title", t.title);
        refreshSolution();
      }
      const row = document.getElementById("thread-" + t.id);
      if (row && threadList) refreshRow(t.id, true);
    },
    "thread.created": (data) => { if (threadList) refreshRow(data.thread.id, true); },
    "vote.changed": (data) => {
      setText('[data-score-for="' + data.target + "-" + data.id + '"]', data.score);
      if (roadmap && data.target === "thread") refreshRoadmap();
    },
    "presence": (data) => {
      if (data.thread_id !== threadId) return;
      setText("#viewers", data.viewers === 1 ? "1 person viewing" : data.viewers + " people viewing");
    },
    "leaderboard.changed": async () => {
      if (!board) return;
      const fragment = await fetchHTML(board.dataset.fragment);
      if (fragment) board.replaceChildren(fragment);
    },
    "badge.awarded": (data) => {
      if (!data.reason || !document.body.dataset.username || data.username !== document.body.dataset.username) return;
      toast(data.badge.icon + " You earned the “" + data.badge.name + "” badge: " + data.reason);
    },
    "typing": (data) => {
      if (data.thread_id !== threadId) return;
      clearTimeout(typers.get(data.username));
      typers.set(data.username, setTimeout(() => { typers.delete(data.username); renderTyping(); }, 5000));
      renderTyping();
    },
  };

  async function refreshSolution() {
    const slot = document.getElementById("solution-banner");
    if (!slot) return;
    const fragment = await fetchHTML("/t/" + threadId + "/solution/fragment");
    if (fragment) slot.replaceWith(fragment);
  }

  function toast(message) {
    let region = document.getElementById("toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "toasts";
      region.className = "toasts";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    const item = document.createElement("p");
    item.className = "toast";
    item.textContent = message;
    region.appendChild(item);
    setTimeout(() => item.remove(), 8000);
  }

  // --- roadmap -------------------------------------------------------------------------
  let roadmapTimer = null;
  function refreshRoadmap() {
    // Votes can arrive in bursts: redraw at most twice a second.
    clearTimeout(roadmapTimer);
    roadmapTimer = setTimeout(async () => {
      const fragment = await fetchHTML(roadmap.dataset.fragment);
      if (fragment) roadmap.replaceChildren(fragment);
    }, 500);
  }

  // --- forum page ----------------------------------------------------------------------
  async function refreshRow(id, toTop) {
    const fragment = await fetchHTML("/t/" + id + "/row");
    if (!fragment) return;
    const row = fragment.firstElementChild;
    const old = document.getElementById("thread-" + id);
    if (old) old.remove();
    if (toTop) {
      const firstUnpinned = threadList.querySelector(".thread-row:not(.pinned)");
      threadList.insertBefore(row, firstUnpinned);
    } else {
      threadList.appendChild(row);
    }
    row.classList.add("fresh");
  }

  Object.entries(handlers).forEach(([name, handler]) => socket.on(name, handler));
  // Page modules (polls, votes…) listen through the same socket.
  window.communityLive = { on: (name, handler) => socket.on(name, handler), socket: socket };

  let connectedBefore = false;
  let degraded = false;
  socket.on("connect", () => {
    degraded = false;
    setStatus("live", "Live");
    rooms.forEach((room) => socket.emit("subscribe", { room: room }, () => {}));
    if (connectedBefore) catchUp();
    connectedBefore = true;
  });
  // Our server lost the queue to the other servers (Redis): its own updates still arrive.
  socket.on("live.status", (data) => {
    if (data.state === "degraded") {
      degraded = true;
      setStatus("reconnecting", "Reconnecting…");
    } else if (degraded) {
      degraded = false;
      setStatus("live", "Live");
      catchUp();
    }
  });
  socket.on("disconnect", (reason) => {
    // The server ends a socket whose credential has gone (signed out, token revoked,
    // suspended); the client does not retry that one.
    if (reason === "io server disconnect") setStatus("offline", "Offline");
    else setStatus("reconnecting", "Reconnecting…");
  });
  socket.io.on("reconnect_attempt", () => setStatus("reconnecting", "Reconnecting…"));
  socket.io.on("reconnect_failed", () => setStatus("offline", "Offline"));
  window.addEventListener("offline", () => setStatus("offline", "Offline"));

  // Tell others we are typing, at most every 2 seconds.
  const editor = document.querySelector("#reply textarea");
  if (editor && threadId) {
    let last = 0;
    editor.addEventListener("input", () => {
      const now = Date.now();
      if (now - last < 2000) return;
      last = now;
      socket.emit("typing", { thread_id: threadId }, () => {});
    });
  }
})();
