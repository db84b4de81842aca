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

// A form that ends something asks first: <form data-confirm="Really?">.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
