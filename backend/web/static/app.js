// Progressive enhancement only: every page works without it.
"use strict";

// <button data-copy="#selector">: copy the value or text of the target to the clipboard.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const target = document.querySelector(button.dataset.copy);
  if (!target) return;
  const text = "value" in target ? target.value : target.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No async clipboard (a plain-http address): select and copy; a password field must show
    // its text for a moment, or the browser copies nothing.
    if (target.select) {
      const hidden = target.type === "password";
      if (hidden) target.type = "text";
      target.select();
      document.execCommand("copy");
      if (hidden) target.type = "password";
    }
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 2000);
});

// <form data-confirm="question">: ask before submitting.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// <button data-reveal="#selector">: show or hide a secret input.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-reveal]");
  if (!button) return;
  const input = document.querySelector(button.dataset.reveal);
  if (!input) return;
  input.type = input.type === "password" ? "text" : "password";
  button.textContent = input.type === "password" ? "Show" : "Hide";
});

// <div data-poll="/url" data-poll-every="2000">: replace own content with the URL's HTML
// fragment until the fragment carries data-done.
for (const el of document.querySelectorAll("[data-poll]")) {
  const every = Number(el.dataset.pollEvery || 2000);
  const tick = async () => {
    try {
      const response = await fetch(el.dataset.poll, { credentials: "same-origin" });
      if (response.ok) {
        el.innerHTML = await response.text();
        if (el.querySelector("[data-done]")) return;
      }
    } catch { /* offline for a moment: try again */ }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}
