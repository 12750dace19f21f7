// Vote buttons vote in place through the JSON API; without JavaScript they post a form.
(function () {
  "use strict";
  const token = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form.vote-form") || !token) return;
    event.preventDefault();
    const input = form.querySelector('input[name="value"]');
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token.content },
        body: JSON.stringify({ value: Number(input.value) }),
      });
      if (!response.ok) { form.submit(); return; }  // let the page explain the refusal
      const data = await response.json();
      form.querySelectorAll("[data-score-for]").forEach((el) => { el.textContent = data.score; });
      button.setAttribute("aria-pressed", data.viewer_vote ? "true" : "false");
      input.value = data.viewer_vote ? "0" : "1";
    } finally {
      button.disabled = false;
    }
  });
})();
