// The comparison page: sort and filter the table, pick models to see side by side, and draw
// Top-1 against MACs and against parameters as SVG scatter plots with their Pareto frontier.
// No library: the site must work offline, and the page stays light.
(function () {
  "use strict";
  const table = document.getElementById("modelindex-table");
  const data = document.getElementById("modelindex-rows");
  if (!table || !data) return;
  // Each <tr> names its row by position (data-row): names repeat, and nameless models are "?".
  const rows = JSON.parse(data.textContent);
  const rowOf = (tr) => rows[Number(tr.dataset.row)];
  const body = table.tBodies[0];
  const trs = Array.from(body.rows);
  const SVG = "http://www.w3.org/2000/svg";
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const collections = Array.from(new Set(rows.map((row) => row.collection))).sort();
  const colour = (name) => palette[collections.indexOf(name) % palette.length];

  // --- sorting --------------------------------------------------------------------------------
  let sortKey = null;
  let ascending = true;
  function cellValue(tr, key) {
    const cell = tr.querySelector(`td[data-key="${key}"]`);
    const raw = cell ? cell.dataset.value : "";
    const number = raw === "" ? NaN : Number(raw);
    return Number.isNaN(number) ? raw.toLowerCase() : number;
  }
  function sortBy(key) {
    ascending = sortKey === key ? !ascending : key === "name" || key === "collection";
    sortKey = key;
    const sorted = trs.slice().sort((a, b) => {
      const x = cellValue(a, key), y = cellValue(b, key);
      const missingX = x === "", missingY = y === "";
      if (missingX || missingY) return missingX - missingY;  // models without a value go last
      const order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    sorted.forEach((tr) => body.appendChild(tr));
    table.querySelectorAll("th[data-key]").forEach((th) => {
      th.setAttribute("aria-sort", th.dataset.key === key ? (ascending ? "ascending" : "descending") : "none");
    });
  }
  table.querySelectorAll("th[data-key]").forEach((th) => {
    if (th.dataset.key === "pick") return;
    th.addEventListener("click", () => sortBy(th.dataset.key));
    th.addEventListener("keydown", (event) => { if (event.key === "Enter") sortBy(th.dataset.key); });
  });

  // --- filtering ------------------------------------------------------------------------------
  const nameFilter = document.getElementById("modelindex-filter-name");
  const collectionFilter = document.getElementById("modelindex-filter-collection");
  const datasetFilter = document.getElementById("modelindex-filter-dataset");
  const shown = document.getElementById("modelindex-shown");
  function visible() {
    const text = nameFilter.value.trim().toLowerCase();
    return (tr) => (!text || tr.dataset.name.toLowerCase().includes(text)) &&
      (!collectionFilter.value || tr.dataset.collection === collectionFilter.value) &&
      (!datasetFilter.value || tr.dataset.dataset === datasetFilter.value);
  }
  function applyFilters() {
    const keep = visible();
    let count = 0;
    trs.forEach((tr) => { tr.hidden = !keep(tr); count += tr.hidden ? 0 : 1; });
    shown.textContent = `${count} of ${trs.length} models`;
    draw();
  }
  [nameFilter, collectionFilter, datasetFilter].forEach((input) => input.addEventListener("input", applyFilters));

  // --- picking --------------------------------------------------------------------------------
  const picked = document.getElementById("modelindex-picked");
  const pickedColumns = [["collection", "Collection"], ["dataset", "Dataset"], ["parameters", "Parameters"],
    ["macs", "MACs"], ["top1", "Top-1"], ["top5", "Top-5"], ["image_size", "Image size"],
    ["crop_pct", "Crop pct"], ["interpolation", "Interpolation"], ["status", "Status"]];
  function showPicked() {
    const chosen = trs.filter((tr) => tr.querySelector(".modelindex-pick").checked).map(rowOf);
    picked.replaceChildren();
    picked.hidden = chosen.length === 0;
    if (!chosen.length) return;
    const side = document.createElement("table");
    const head = side.createTHead().insertRow();
    head.appendChild(document.createElement("th"));
    chosen.forEach((row) => { const th = document.createElement("th"); th.textContent = row.name; head.appendChild(th); });
    const tbody = side.createTBody();
    pickedColumns.forEach(([key, label]) => {
      const tr = tbody.insertRow();
      const th = document.createElement("th"); th.textContent = label; tr.appendChild(th);
      chosen.forEach((row) => { const value = row[key]; tr.insertCell().textContent = value === null || value === "" ? "-" : String(value); });
    });
    picked.appendChild(side);
  }
  body.addEventListener("change", (event) => { if (event.target.classList.contains("modelindex-pick")) showPicked(); });

  // --- plots ----------------------------------------------------------------------------------
  const tooltip = document.getElementById("modelindex-tooltip");
  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
    if (parent) parent.appendChild(node);
    return node;
  }
  function pareto(points) {
    // Best accuracy for the cost: walking from cheap to expensive, keep each point that beats
    // every cheaper one.
    const frontier = [];
    points.slice().sort((a, b) => a.x - b.x || b.y - a.y).forEach((point) => {
      if (!frontier.length || point.y > frontier[frontier.length - 1].y) frontier.push(point);
    });
    return frontier;
  }
  function plot(svg, key, unit, scale) {
    // A log scale has no place for zero or a negative count, which a card can still declare.
    const plottable = (row) => Number.isFinite(row.top1) && Number.isFinite(row[key]) && row[key] > 0;
    const points = trs.filter(visible()).filter((tr) => plottable(rowOf(tr))).map((tr) => {
      const row = rowOf(tr);
      return { x: row[key] / scale, y: row.top1, row, index: tr.dataset.row };
    });
    svg.replaceChildren();
    const width = 560, height = 360, left = 56, right = 16, top = 16, bottom = 44;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    if (!points.length) {
      element("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, svg).textContent = "no model with these numbers";
      return;
    }
    const xs = points.map((p) => Math.log10(p.x)), ys = points.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs) - 0.05, Math.max(...xs) + 0.05];
    const [y0, y1] = [Math.min(...ys) - 1, Math.max(...ys) + 1];
    const sx = (x) => left + (Math.log10(x) - x0) / (x1 - x0 || 1) * (width - left - right);
    const sy = (y) => height - bottom - (y - y0) / (y1 - y0 || 1) * (height - top - bottom);
    element("line", { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: "axis" }, svg);
    element("line", { x1: left, y1: top, x2: left, y2: height - bottom, class: "axis" }, svg);
    for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) {
      const x = sx(10 ** e);
      element("text", { x, y: height - bottom + 16, "text-anchor": "middle", class: "tick" }, svg).textContent = String(10 ** e);
    }
    for (let y = Math.ceil(y0); y <= y1; y += Math.max(1, Math.round((y1 - y0) / 6))) {
      element("text", { x: left - 6, y: sy(y) + 4, "text-anchor": "end", class: "tick" }, svg).textContent = String(y);
    }
    element("text", { x: (width + left) / 2, y: height - 6, "text-anchor": "middle", class: "label" }, svg).textContent = unit;
    const frontier = pareto(points);
    element("polyline", { points: frontier.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), class: "modelindex-frontier" }, svg);
    points.forEach((point) => {
      const dot = element("circle", { cx: sx(point.x), cy: sy(point.y), r: 4.5, fill: colour(point.row.collection),
        class: "modelindex-point", "data-name": point.row.name, "data-row": point.index }, svg);
      element("title", {}, dot).textContent = point.row.name;
      dot.addEventListener("mouseenter", (event) => {
        tooltip.hidden = false;
        tooltip.textContent = `${point.row.name} (${point.row.collection}): Top-1 ${point.y}, ${point.x.toPrecision(3)} ${unit}`;
        tooltip.style.left = `${event.pageX + 12}px`;
        tooltip.style.top = `${event.pageY + 12}px`;
      });
      dot.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    });
  }
  function legend() {
    const list = document.getElementById("modelindex-legend");
    const keep = visible();
    const shownCollections = new Set(trs.filter(keep).map((tr) => tr.dataset.collection));
    list.replaceChildren();
    collections.filter((name) => shownCollections.has(name)).forEach((name) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.style.background = colour(name);
      item.append(swatch, name || "no collection");
      list.appendChild(item);
    });
  }
  function draw() {
    legend();
    plot(document.getElementById("modelindex-plot-macs"), "macs", "GMACs", 1e9);
    plot(document.getElementById("modelindex-plot-parameters"), "parameters", "M parameters", 1e6);
  }
  applyFilters();
})();
