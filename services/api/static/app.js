// Live progress of match runs: each <progress data-events="..."> follows the run's
// server-sent events; a page marked data-reload reloads when the run finishes.
"use strict";
const FINISHED = new Set(["proposed", "failed", "approved", "published", "rejected", "superseded", "cancelled"]);
for (const bar of document.querySelectorAll("progress[data-events]")) {
  const source = new EventSource(bar.dataset.events);
  const row = bar.closest("tr, p, section") || document;
  source.addEventListener("progress", (event) => {
    const run = JSON.parse(event.data);
    bar.value = run.percent;
    bar.textContent = run.percent + "%";
    const stage = row.querySelector("[data-run-stage]");
    if (stage) stage.textContent = run.stage;
    if (FINISHED.has(run.state)) {
      source.close();
      if (bar.hasAttribute("data-reload")) window.location.reload();
      else {
        const state = row.querySelector("[data-run-state]");
        if (state) state.textContent = run.state;
        bar.remove();
      }
    }
  });
}

// A form that ends something asks first: <form data-confirm="Really?">; so does one
// button of a form that also does something else: <button data-confirm="Really?">.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
for (const button of document.querySelectorAll("button[data-confirm]")) {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}

// The run map: pointing at a route, or pressing its button under the map, shows it
// over the others; pressing the button again (or Escape) shows them all.
for (const figure of document.querySelectorAll("[data-map-figure]")) {
  const map = figure.querySelector("[data-map]");
  const keys = figure.querySelectorAll("[data-route-key]");
  let pinned = null;
  const show = (route) => {
    if (route === null) map.removeAttribute("data-highlight");
    else map.setAttribute("data-highlight", route);
    for (const line of map.querySelectorAll("[data-route]")) {
      line.classList.toggle("on", line.dataset.route === route);
    }
    for (const key of keys) key.setAttribute("aria-pressed", String(key.dataset.routeKey === pinned));
  };
  for (const key of keys) {
    key.addEventListener("click", () => {
      pinned = pinned === key.dataset.routeKey ? null : key.dataset.routeKey;
      show(pinned);
    });
  }
  for (const line of map.querySelectorAll("[data-route]")) {
    line.addEventListener("pointerenter", () => show(line.dataset.route));
    line.addEventListener("pointerleave", () => show(pinned));
    line.addEventListener("click", () => {
      pinned = pinned === line.dataset.route ? null : line.dataset.route;
      show(pinned);
    });
  }
  figure.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { pinned = null; show(null); }
  });
}
