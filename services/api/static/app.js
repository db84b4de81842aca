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
    const percent = run.percent_text || run.percent + " %";
    bar.textContent = percent;
    const shown = row.querySelector("[data-run-percent]");
    if (shown) shown.textContent = percent;
    const stage = row.querySelector("[data-run-stage]");
    if (stage) stage.textContent = run.stage_text || run.stage;
    if (FINISHED.has(run.state)) {
      source.close();
      if (bar.hasAttribute("data-reload")) window.location.reload();
      else {
        const state = row.querySelector("[data-run-state]");
        if (state) state.textContent = run.state_text || run.state;
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

// A place field (templates/web/_place.html): the address search asks the server's
// geocoder and shows what it found to choose from; a click on the map sets latitude and
// longitude from the map's projection (Web Mercator, placed by the svg's data-left,
// data-top and data-scale). Without this script the search button posts the form.
function mercator(lat, lon) {
  const sin = Math.sin(Math.max(Math.min(lat, 85.0511), -85.0511) * Math.PI / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)];
}

for (const root of document.querySelectorAll("[data-place]")) {
  const prefix = root.dataset.place;
  const form = root.closest("form");
  const input = (name) => form.querySelector(`[name="${prefix}${name}"]`);
  const map = root.querySelector("[data-place-map]");
  const marker = root.querySelector("[data-place-marker]");
  const said = root.querySelector("[data-place-said]");
  const results = root.querySelector("[data-place-results]");
  const left = Number(map.dataset.left), top = Number(map.dataset.top), scale = Number(map.dataset.scale);

  const setPlace = (lat, lon, address, municipality) => {
    input("lat").value = lat.toFixed(5);
    input("lon").value = lon.toFixed(5);
    if (address !== undefined) input("address").value = address;
    if (municipality && input("municipality")) input("municipality").value = municipality;
    const [x, y] = mercator(lat, lon);
    marker.setAttribute("transform", `translate(${(x - left) * scale} ${(y - top) * scale})`);
    marker.classList.remove("hidden");
    said.textContent = `${said.dataset.placeSaid} ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    for (const pick of root.querySelectorAll(`[name="${prefix}pick"]`)) pick.checked = false;
  };

  map.addEventListener("click", (event) => {
    const point = map.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const at = point.matrixTransform(map.getScreenCTM().inverse());
    const x = left + at.x / scale, y = top + at.y / scale;
    const lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;
    setPlace(lat, x * 360 - 180);
  });

  const button = root.querySelector("[data-place-search]");
  if (!button) continue;
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const query = input("address").value.trim();
    if (!query) return;
    button.disabled = true;
    try {
      const answer = await fetch(`/app/places/search?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      // a refusal (signed out, too many searches) says so as "nothing found" does
      const found = answer.ok ? await answer.json() : { candidates: [] };
      results.replaceChildren();
      if (found.error || !found.candidates.length) {
        const message = document.createElement("p");
        message.className = "field-error";
        message.setAttribute("role", "alert");
        message.textContent = found.error || results.dataset.none;
        results.append(message);
        return;
      }
      const heading = document.createElement("p");
      heading.textContent = results.dataset.choose;
      const list = document.createElement("ul");
      list.className = "candidates";
      for (const candidate of found.candidates) {
        const item = document.createElement("li");
        const choose = document.createElement("button");
        choose.type = "button";
        choose.className = "secondary";
        choose.textContent = candidate.label;
        choose.addEventListener("click", () => {
          setPlace(candidate.lat, candidate.lon, candidate.label, candidate.municipality);
          results.replaceChildren();
        });
        item.append(choose);
        list.append(item);
      }
      results.append(heading, list);
    } catch {
      const message = document.createElement("p");
      message.className = "field-error";
      message.setAttribute("role", "alert");
      message.textContent = results.dataset.none;
      results.replaceChildren(message);
    } finally {
      button.disabled = false;
    }
  });
}

// The co-op's order: the running total at the lowest price on offer within each line's
// highest price, as the page computes it when it is drawn. Amounts in the page's number
// format (sv: 1,5; en: 1.5 with commas between thousands), prices in kronor.
for (const form of document.querySelectorAll("form[data-order-form]")) {
  const english = form.dataset.lang === "en";
  const total = form.querySelector("[data-order-total]");
  const unpriced = form.querySelector("[data-unpriced]");
  const money = (ore) => new Intl.NumberFormat(english ? "en" : "sv", {
    minimumFractionDigits: ore % 100 ? 2 : 0, maximumFractionDigits: 2,
  }).format(ore / 100);
  const amount = (text) => {
    let cleaned = text.replace(/[\s\u00a0\u202f]/g, "");
    cleaned = english ? cleaned.replace(/,(?=\d{3}(\D|$))/g, "") : cleaned.replace(",", ".");
    return /^\d+(\.\d{1,3})?$/.test(cleaned) ? Number(cleaned) : null;
  };
  const kronor = (text) => {
    const cleaned = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    return /^\d+(\.\d{1,2})?$/.test(cleaned) ? Math.round(Number(cleaned) * 100) : null;
  };
  const update = () => {
    let ore = 0;
    let missing = 0;
    for (const product of form.querySelectorAll("[data-product]")) {
      const prices = product.dataset.prices.split(" ").filter(Boolean).map(Number);
      for (const line of product.querySelectorAll("[data-line]")) {
        const much = amount(line.querySelector("[data-quantity]").value);
        if (much === null || much === 0) continue;
        const limit = kronor(line.querySelector("[data-max-price]").value);
        const fitting = prices.filter((p) => limit === null || p <= limit);
        if (!fitting.length) { missing += 1; continue; }
        ore += Math.round(much * fitting[0]);
      }
    }
    total.textContent = `${money(ore)} kr`;
    unpriced.hidden = missing === 0;
  };
  form.addEventListener("input", update);
}
