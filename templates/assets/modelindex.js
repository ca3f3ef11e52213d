// The comparison page. The rows and the zoo's benchmarks are read once from the page's JSON;
// the table is drawn a page of rows at a time (a zoo of 10,000 models stays quick), sorted and
// filtered on the data, with the columns the reader chooses. The plots show the chosen metric
// of one benchmark against MACs and parameters, with the Pareto frontier in the metric's own
// direction. The view (filters, sort, columns, page) is kept in the address after "#", so that
// a link restores it; it works from disk (file://) too. No library: the site works offline.
(function () {
  "use strict";
  const table = document.getElementById("modelindex-table");
  const data = document.getElementById("modelindex-rows");
  const benchmarkData = document.getElementById("modelindex-benchmarks");
  if (!table || !data || !benchmarkData) return;
  const rows = JSON.parse(data.textContent);
  const benchmarks = JSON.parse(benchmarkData.textContent);
  // No prototype: a key from the address ("__proto__", "constructor") names no benchmark.
  const byKey = Object.assign(Object.create(null), Object.fromEntries(benchmarks.map((b) => [b.key, b])));
  const PAGE = 100;
  const SVG = "http://www.w3.org/2000/svg";
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const collections = Array.from(new Set(rows.map((row) => row.collection))).sort();
  const colour = (name) => palette[collections.indexOf(name) % palette.length];
  const $ = (id) => document.getElementById(id);
  const nameFilter = $("modelindex-filter-name");
  const collectionFilter = $("modelindex-filter-collection");
  const benchmarkFilter = $("modelindex-filter-benchmark");
  const metricChoice = $("modelindex-metric");

  // --- formatting -------------------------------------------------------------------------------
  function count(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "-";
    // 3 significant digits, without the zeros after a decimal point: 25.6M, 100M, 1.2G. A value
    // that rounds up to 1000 of a unit is 1 of the next (999,999 is 1M, not 1000k).
    const units = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""]];
    const rounded = Number(Math.abs(value).toPrecision(3));
    const [size, unit] = units.find(([size]) => rounded >= size) || [1, ""];
    const digits = (rounded / size).toPrecision(3).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
    return `${value < 0 ? "-" : ""}${digits}${unit}`;
  }
  const plain = (value) => (value === null || value === undefined || value === "" ? "-" : String(value));
  const FIXED = [
    { key: "name", label: "Model", text: true },
    { key: "collection", label: "Collection", text: true },
    { key: "parameters", label: "Parameters", format: count },
    { key: "macs", label: "MACs", format: count },
    { key: "image_size", label: "Image size" },
    { key: "crop_pct", label: "Crop pct" },
    { key: "interpolation", label: "Interpolation", text: true },
    { key: "dataset", label: "Dataset", text: true, hidden: true },
    { key: "status", label: "Status", text: true },
  ];

  // --- the view, and the address that holds it ------------------------------------------------
  const view = { q: "", c: "", b: benchmarkFilter.value, m: "", s: "", d: "", hide: [], p: 0 };
  function readAddress() {
    const saved = new URLSearchParams(location.hash.slice(1));
    for (const key of ["q", "c", "b", "m", "s", "d"]) if (saved.has(key)) view[key] = saved.get(key);
    if (saved.has("hide")) view.hide = saved.get("hide").split(",").filter(Boolean);
    if (saved.has("p")) view.p = Math.max(0, Number(saved.get("p")) || 0);
    if (view.b && !byKey[view.b]) view.b = benchmarkFilter.value;  // not this zoo's: the default
    view.p = Math.floor(view.p);
  }
  function writeAddress() {
    const saved = new URLSearchParams();
    for (const key of ["q", "c", "b", "m", "s", "d"]) if (view[key]) saved.set(key, view[key]);
    if (view.hide.length) saved.set("hide", view.hide.join(","));
    if (view.p) saved.set("p", String(view.p));
    history.replaceState(null, "", `${location.pathname}${location.search}#${saved.toString()}`);
  }

  // --- columns ---------------------------------------------------------------------------------
  function metricsOf(key) {
    return key && byKey[key] ? byKey[key].metrics : [];
  }
  function columns() {
    const metrics = metricsOf(view.b).map((metric) => ({
      key: metric.key, label: metric.label, metric, format: (value) => plain(value),
    }));
    return [...FIXED.slice(0, 2), ...metrics, ...FIXED.slice(2)];
  }
  const isHidden = (column) => view.hide.includes(column.key) || (column.hidden && !view.hide.includes(`+${column.key}`));
  function valueOf(row, column) {
    if (column.metric) {
      const results = row.results[view.b];
      return results && column.key in results ? results[column.key] : null;
    }
    return row[column.key];
  }

  // --- rows: filter and sort ------------------------------------------------------------------
  function selected() {
    const text = view.q.trim().toLowerCase();
    return rows.map((row, index) => ({ row, index })).filter(({ row }) =>
      (!text || row.name.toLowerCase().includes(text)) &&
      (!view.c || row.collection === view.c) &&
      (!view.b || view.b in row.results));
  }
  // The order a column sorts in first: a metric best first (descending where higher is better,
  // ascending where lower is), text from A, other numbers largest first.
  function bestOrder(column) {
    if (column.metric) return column.metric.lower_is_better ? "asc" : "desc";
    return column.text ? "asc" : "desc";
  }
  function sorted(items) {
    // With no sort chosen, the plotted metric, best first.
    const column = columns().find((c) => c.key === (view.s || view.m));
    if (!column) return items;
    const ascending = (view.d || bestOrder(column)) === "asc";
    return items.slice().sort((a, b) => {
      let x = valueOf(a.row, column), y = valueOf(b.row, column);
      const missingX = x === null || x === undefined || x === "", missingY = y === null || y === undefined || y === "";
      if (missingX || missingY) return missingX - missingY;  // models without a value go last
      if (typeof x === "string") { x = x.toLowerCase(); y = String(y).toLowerCase(); }
      const order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
  }

  // --- drawing the table -------------------------------------------------------------------------
  const picks = new Set();
  function cell(tr, column, row) {
    const td = tr.insertCell();
    const value = valueOf(row, column);
    td.dataset.key = column.key;
    td.dataset.value = value === null || value === undefined ? "" : String(value);
    if (column.key === "name") {
      const link = document.createElement("a");
      link.href = row.url;
      link.textContent = row.name;
      td.appendChild(link);
      td.className = "modelindex-name";
    } else {
      td.textContent = column.format ? column.format(value) : plain(value);
      if (!column.text) td.className = "modelindex-number";
    }
  }
  function drawTable() {
    const shownColumns = columns().filter((column) => !isHidden(column));
    const head = table.tHead.rows[0];
    head.replaceChildren();
    const pick = document.createElement("th");
    pick.textContent = "Pick";
    pick.dataset.key = "pick";
    head.appendChild(pick);
    for (const column of shownColumns) {
      const th = document.createElement("th");
      th.dataset.key = column.key;
      th.tabIndex = 0;
      th.textContent = column.label;
      if (column.metric) {
        th.dataset.label = column.label;
        th.title = column.metric.lower_is_better ? "lower is better" :
          column.metric.known ? "higher is better" : "higher is better (assumed)";
        th.textContent += column.metric.lower_is_better ? " ↓" : " ↑";
      }
      const ascending = (view.s || view.m) === column.key ? (view.d || bestOrder(column)) : "";
      th.setAttribute("aria-sort", ascending === "asc" ? "ascending" : ascending === "desc" ? "descending" : "none");
      if (column.key === "name") th.className = "modelindex-name";
      head.appendChild(th);
    }
    const items = sorted(selected());
    const pages = Math.max(1, Math.ceil(items.length / PAGE));
    view.p = Math.min(view.p, pages - 1);
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const { row, index } of items.slice(view.p * PAGE, (view.p + 1) * PAGE)) {
      const tr = body.insertRow();
      tr.dataset.row = String(index);
      tr.dataset.name = row.name;
      tr.dataset.collection = row.collection;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "modelindex-pick";
      box.checked = picks.has(index);
      box.setAttribute("aria-label", `pick ${row.name}`);
      tr.insertCell().appendChild(box);
      for (const column of shownColumns) cell(tr, column, row);
    }
    $("modelindex-shown").textContent = `${items.length} of ${rows.length} models`;
    $("modelindex-page").textContent = `page ${view.p + 1} of ${pages}`;
    $("modelindex-previous").disabled = view.p === 0;
    $("modelindex-next").disabled = view.p >= pages - 1;
    return items;
  }
  function drawColumnChoice() {
    const box = $("modelindex-column-choice");
    box.replaceChildren();
    for (const column of columns()) {
      if (column.key === "name") continue;
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.checked = !isHidden(column);
      input.dataset.key = column.key;
      input.addEventListener("change", () => {
        view.hide = view.hide.filter((key) => key !== column.key && key !== `+${column.key}`);
        if (!input.checked && !column.hidden) view.hide.push(column.key);
        if (input.checked && column.hidden) view.hide.push(`+${column.key}`);
        update();
      });
      label.append(input, ` ${column.label}`);
      box.appendChild(label);
    }
  }
  function drawMetricChoice() {
    metricChoice.replaceChildren();
    for (const metric of metricsOf(view.b)) {
      const option = document.createElement("option");
      option.value = metric.key;
      option.textContent = metric.label;
      metricChoice.appendChild(option);
    }
    if (!metricsOf(view.b).some((metric) => metric.key === view.m)) view.m = metricsOf(view.b)[0]?.key || "";
    metricChoice.value = view.m;
    metricChoice.disabled = !view.m;
  }

  // --- side by side -----------------------------------------------------------------------------
  function showPicked() {
    const picked = $("modelindex-picked");
    const chosen = Array.from(picks).map((index) => rows[index]);
    picked.replaceChildren();
    picked.hidden = chosen.length === 0;
    $("modelindex-clear-picks").hidden = chosen.length === 0;
    if (!chosen.length) return;
    const side = document.createElement("table");
    const head = side.createTHead().insertRow();
    head.appendChild(document.createElement("th"));
    chosen.forEach((row) => { const th = document.createElement("th"); th.textContent = row.name; head.appendChild(th); });
    const tbody = side.createTBody();
    const line = (label, values) => {
      const tr = tbody.insertRow();
      const th = document.createElement("th");
      th.textContent = label;
      tr.appendChild(th);
      values.forEach((value) => { tr.insertCell().textContent = value; });
    };
    for (const column of FIXED) line(column.label, chosen.map((row) => (column.format || plain)(row[column.key])));
    // Every metric the picked models have, on each benchmark any of them was measured on.
    const measured = benchmarks.filter((b) => chosen.some((row) => b.key in row.results));
    for (const b of measured) {
      for (const m of b.metrics) {
        const values = chosen.map((row) => (row.results[b.key] || {})[m.key]);
        if (values.every((value) => value === undefined)) continue;
        line(measured.length > 1 ? `${m.label} · ${b.label}` : m.label, values.map(plain));
      }
    }
    picked.appendChild(side);
  }

  // --- plots ------------------------------------------------------------------------------------
  const tooltip = $("modelindex-tooltip");
  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
    if (parent) parent.appendChild(node);
    return node;
  }
  function pareto(points, lower) {
    // The best metric for the cost: from cheap to expensive, each point better than every cheaper one.
    const frontier = [];
    const better = (a, b) => (lower ? a < b : a > b);
    points.slice().sort((a, b) => a.x - b.x || (lower ? a.y - b.y : b.y - a.y)).forEach((point) => {
      if (!frontier.length || better(point.y, frontier[frontier.length - 1].y)) frontier.push(point);
    });
    return frontier;
  }
  function niceStep(span) {
    const raw = span / 6;
    const power = 10 ** Math.floor(Math.log10(raw || 1));
    return [1, 2, 2.5, 5, 10].map((f) => f * power).find((step) => step >= raw) || power;
  }
  function plot(svg, caption, key, unit, scale, items, metric) {
    svg.replaceChildren();
    const width = 560, height = 360, left = 60, right = 16, top = 16, bottom = 44;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    if (!metric) {
      caption.textContent = "Choose a benchmark to plot its metric.";
      element("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, svg).textContent = "no benchmark chosen";
      return;
    }
    const direction = `${metric.lower_is_better ? "lower" : "higher"} is better${metric.known ? "" : ", assumed"}`;
    caption.textContent = `${metric.label} (${direction}) against ${unit} (log scale); the line is the Pareto frontier.`;
    // A log scale has no place for zero or a negative count, which a card can still declare.
    const points = items.map(({ row, index }) => ({ row, index, x: row[key] / scale, y: (row.results[view.b] || {})[metric.key] }))
      .filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x) && p.x > 0);
    if (!points.length) {
      element("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, svg).textContent = "no model with these numbers";
      return;
    }
    const xs = points.map((p) => Math.log10(p.x)), ys = points.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs) - 0.05, Math.max(...xs) + 0.05];
    const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 1;
    const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
    const sx = (x) => left + (Math.log10(x) - x0) / (x1 - x0 || 1) * (width - left - right);
    const sy = (y) => height - bottom - (y - y0) / (y1 - y0 || 1) * (height - top - bottom);
    element("line", { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: "axis" }, svg);
    element("line", { x1: left, y1: top, x2: left, y2: height - bottom, class: "axis" }, svg);
    for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) {
      element("text", { x: sx(10 ** e), y: height - bottom + 16, "text-anchor": "middle", class: "tick" }, svg).textContent = count(10 ** e);
    }
    const step = niceStep(y1 - y0);
    for (let y = Math.ceil(y0 / step) * step; y <= y1; y += step) {
      element("text", { x: left - 6, y: sy(y) + 4, "text-anchor": "end", class: "tick" }, svg).textContent = String(Number(y.toPrecision(6)));
    }
    element("text", { x: (width + left) / 2, y: height - 6, "text-anchor": "middle", class: "label" }, svg).textContent = unit;
    const frontier = pareto(points, metric.lower_is_better);
    element("polyline", { points: frontier.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), class: "modelindex-frontier" }, svg);
    points.forEach((point) => {
      const dot = element("circle", { cx: sx(point.x), cy: sy(point.y), r: 4.5, fill: colour(point.row.collection),
        class: "modelindex-point", "data-name": point.row.name, "data-row": point.index }, svg);
      dot.addEventListener("mouseenter", (event) => {
        tooltip.hidden = false;
        tooltip.textContent = `${point.row.name} (${point.row.collection}): ${metric.label} ${point.y}, ${count(point.x * scale)} ${unit}`;
        tooltip.style.left = `${event.pageX + 12}px`;
        tooltip.style.top = `${event.pageY + 12}px`;
      });
      dot.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    });
  }
  function legend(items) {
    const list = $("modelindex-legend");
    const shownCollections = new Set(items.map(({ row }) => row.collection));
    list.replaceChildren();
    collections.filter((name) => shownCollections.has(name)).forEach((name) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.style.background = colour(name);
      item.append(swatch, name || "no collection");
      list.appendChild(item);
    });
  }

  // --- downloads --------------------------------------------------------------------------------
  function downloads() {
    const keys = ["name", "collection", "dataset", "parameters", "macs", "image_size", "crop_pct", "interpolation", "status"];
    const quote = (value) => {
      const text = value === null || value === undefined ? "" : String(value);
      // A leading =, +, - or @ would run as a formula in a spreadsheet.
      const safe = /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
      // A line break of either kind inside a cell would start a row a spreadsheet reads anew.
      return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    };
    const metricColumns = benchmarks.flatMap((b) => b.metrics.map((m) => ({ b, m })));
    const header = [...keys, ...metricColumns.map(({ b, m }) => `${m.label} (${b.label})`)];
    const lines = [header.map(quote).join(",")];
    for (const row of rows) {
      lines.push([...keys.map((key) => row[key]), ...metricColumns.map(({ b, m }) => (row.results[b.key] || {})[m.key])].map(quote).join(","));
    }
    $("modelindex-download-csv").href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    const records = rows.map((row) => ({ ...row, results: Object.fromEntries(Object.entries(row.results).map(([b, values]) =>
      [byKey[b].label, Object.fromEntries(Object.entries(values).map(([m, v]) => [byKey[b].metrics.find((x) => x.key === m).label, v]))])) }));
    $("modelindex-download-json").href = URL.createObjectURL(new Blob([JSON.stringify(records, null, 1)], { type: "application/json" }));
  }

  // --- events -----------------------------------------------------------------------------------
  let plotted = "";
  function update() {
    nameFilter.value = view.q;
    collectionFilter.value = view.c;
    benchmarkFilter.value = view.b;
    drawMetricChoice();
    drawColumnChoice();
    const items = drawTable();
    // The plots change with the filters, the benchmark and the metric only: not with a sort, a
    // page or a column (thousands of points are slow to draw again).
    const shown = JSON.stringify([view.q, view.c, view.b, view.m]);
    if (shown !== plotted) {
      plotted = shown;
      const metric = metricsOf(view.b).find((m) => m.key === view.m);
      legend(items);
      plot($("modelindex-plot-macs"), $("modelindex-caption-macs"), "macs", "MACs", 1, items, metric);
      plot($("modelindex-plot-parameters"), $("modelindex-caption-parameters"), "parameters", "parameters", 1, items, metric);
    }
    showPicked();
    writeAddress();
  }
  let typing = 0;
  nameFilter.addEventListener("input", () => {
    // Once the typing pauses: each key would draw the table and the plots again.
    clearTimeout(typing);
    typing = setTimeout(() => { view.q = nameFilter.value; view.p = 0; update(); }, 150);
  });
  collectionFilter.addEventListener("input", () => { view.c = collectionFilter.value; view.p = 0; update(); });
  benchmarkFilter.addEventListener("input", () => {
    view.b = benchmarkFilter.value; view.m = ""; view.p = 0;
    if (!columns().some((c) => c.key === view.s)) { view.s = ""; view.d = ""; }
    update();
  });
  metricChoice.addEventListener("input", () => { view.m = metricChoice.value; update(); });
  table.tHead.addEventListener("click", (event) => sortBy(event.target.closest("th")));
  table.tHead.addEventListener("keydown", (event) => { if (event.key === "Enter") sortBy(event.target.closest("th")); });
  function sortBy(th) {
    if (!th || th.dataset.key === "pick") return;
    const column = columns().find((c) => c.key === th.dataset.key);
    if ((view.s || view.m) === column.key) { view.s = column.key; view.d = (view.d || bestOrder(column)) === "asc" ? "desc" : "asc"; }
    else { view.s = column.key; view.d = ""; }
    view.p = 0;
    update();
  }
  $("modelindex-previous").addEventListener("click", () => { view.p = Math.max(0, view.p - 1); update(); });
  $("modelindex-next").addEventListener("click", () => { view.p += 1; update(); });
  table.tBodies[0].addEventListener("change", (event) => {
    if (!event.target.classList.contains("modelindex-pick")) return;
    const index = Number(event.target.closest("tr").dataset.row);
    if (event.target.checked) picks.add(index); else picks.delete(index);
    showPicked();
  });
  $("modelindex-clear-picks").addEventListener("click", () => { picks.clear(); update(); });
  readAddress();
  downloads();
  update();
})();
