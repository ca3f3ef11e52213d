// The comparison page. The rows and the zoo's benchmarks are read once from the page's JSON;
// the table is drawn a page of rows at a time (a zoo of 10,000 models stays quick), sorted and
// filtered on the data, with the columns the reader chooses. The plots show the chosen metric
// of one benchmark against MACs and parameters, with the Pareto frontier in the metric's own
// direction, drawn by plotly.js (served by the site itself: it works offline). The view
// (filters, sort, columns, page) is kept in the address after "#", so that a link restores it;
// it works from disk (file://) too.
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
  // A score to at most 4 decimals: a card's 0.9865779713898863 reads as 0.9866, its 80.858 as it is.
  const score = (value) => (typeof value === "number" && Number.isFinite(value) ? String(Number(value.toFixed(4))) : plain(value));
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
  const defaultBenchmark = benchmarkFilter.value;
  const collectionNames = new Set(rows.map((row) => row.collection));
  const view = {};
  function readAddress() {
    // What the address does not name is the default: a second address replaces the first view.
    Object.assign(view, { q: "", c: "", b: defaultBenchmark, m: "", s: "", d: "", hide: [], p: 0 });
    const saved = new URLSearchParams(location.hash.slice(1));
    for (const key of ["q", "c", "b", "m", "s", "d"]) if (saved.has(key)) view[key] = saved.get(key);
    if (saved.has("hide")) view.hide = saved.get("hide").split(",").filter(Boolean);
    if (saved.has("p")) view.p = Math.max(0, Number(saved.get("p")) || 0);
    if (view.b && !byKey[view.b]) view.b = defaultBenchmark;  // not this zoo's: the default
    if (view.c && !collectionNames.has(view.c)) view.c = "";
    view.p = Math.floor(view.p);
  }
  function writeAddress() {
    const saved = new URLSearchParams();
    for (const key of ["q", "c", "b", "m", "s", "d"]) if (view[key]) saved.set(key, view[key]);
    if (view.b !== defaultBenchmark) saved.set("b", view.b);  // "" too: no benchmark chosen
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
      key: metric.key, label: metric.label, metric, format: score,
    }));
    return [...FIXED.slice(0, 2), ...metrics, ...FIXED.slice(2)];
  }
  // A column no model fills starts hidden (the chooser still offers it).
  const empty = new Set(FIXED.filter((column) => rows.every((row) => [null, undefined, ""].includes(row[column.key]))).map((c) => c.key));
  const hiddenAtFirst = (column) => column.hidden || empty.has(column.key);
  const isHidden = (column) => view.hide.includes(column.key) || (hiddenAtFirst(column) && !view.hide.includes(`+${column.key}`));
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
  // A metric value validate reports as an error ("Top-1 813"): marked, and sorted after the
  // others, never first.
  const flagOf = (row, column) => (column.metric ? (row.flags[view.b] || {})[column.key] : undefined);
  function sorted(items) {
    // With no sort chosen, the plotted metric, best first.
    const column = columns().find((c) => c.key === (view.s || view.m));
    if (!column) return items;
    const ascending = (view.d || bestOrder(column)) === "asc";
    return items.slice().sort((a, b) => {
      let x = valueOf(a.row, column), y = valueOf(b.row, column);
      const missingX = x === null || x === undefined || x === "", missingY = y === null || y === undefined || y === "";
      if (missingX || missingY) return missingX - missingY;  // models without a value go last
      const flaggedX = Boolean(flagOf(a.row, column)), flaggedY = Boolean(flagOf(b.row, column));
      if (flaggedX !== flaggedY) return flaggedX - flaggedY;
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
      const flag = flagOf(row, column);
      if (flag) {
        td.classList.add("modelindex-flagged");
        td.title = `validate reports this value as an error (${flag})`;
        td.textContent += " ✕";
      }
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
        th.title = (column.metric.lower_is_better ? "lower is better" :
          column.metric.known ? "higher is better" : "higher is better (assumed)") +
          (column.metric.rescaled ? `; ${column.metric.rescaled} fractions shown as percentages` : "");
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
        if (!input.checked && !hiddenAtFirst(column)) view.hide.push(column.key);
        if (input.checked && hiddenAtFirst(column)) view.hide.push(`+${column.key}`);
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
        line(measured.length > 1 ? `${m.label} · ${b.label}` : m.label, values.map(score));
      }
    }
    picked.appendChild(side);
  }

  // --- plots ------------------------------------------------------------------------------------
  // The figures (layout, each collection's marker, how a reported error is drawn) are made in
  // Python; here they get the points of the models the filters select. Plotly brings zoom,
  // pan, hover, a legend that hides and isolates collections, and PNG export.
  const figureData = $("modelindex-figures");
  const figures = figureData ? JSON.parse(figureData.textContent) : null;
  // plotly.js loads after this script, without holding the table up: the plots are drawn
  // once it has come (a failed load says so in their place).
  const plotlyScript = $("modelindex-plotly");
  let plotlyState = typeof window.Plotly === "object" ? "ready" : "loading";
  if (plotlyScript && plotlyState === "loading") {
    plotlyScript.addEventListener("load", () => { plotlyState = "ready"; plotted = ""; update(); });
    plotlyScript.addEventListener("error", () => { plotlyState = "failed"; plotted = ""; update(); });
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
  function schemeColours() {
    // The page's scheme (light or dark) colours the text and the grid.
    const style = getComputedStyle(document.body);
    return {
      text: style.getPropertyValue("--md-default-fg-color").trim() || "#222",
      grid: style.getPropertyValue("--md-default-fg-color--lightest").trim() || "#ddd",
    };
  }
  function themed(layout) {
    const { text, grid } = schemeColours();
    const axis = (a) => ({ ...a, gridcolor: grid, linecolor: grid, minor: { ...(a.minor || {}), gridcolor: grid } });
    return { ...layout, font: { color: text }, xaxis: axis(layout.xaxis), yaxis: axis(layout.yaxis) };
  }
  function plotTraces(axis, items, metric, ranked) {
    const unit = ranked ? "rank" : axis.title;
    const measured = items.map(({ row, index }) => ({
      row, index, x: row[axis.key], y: (row.results[view.b] || {})[metric.key],
      flag: (row.flags[view.b] || {})[metric.key],
    })).filter((p) => Number.isFinite(p.y));
    // No model gives the cost: the models ranked by the metric instead, best first.
    if (ranked) {
      measured.sort((a, b) => (metric.lower_is_better ? a.y - b.y : b.y - a.y));
      measured.forEach((p, position) => { p.x = position + 1; });
    }
    const all = measured.filter((p) => Number.isFinite(p.x) && p.x > 0);  // a log axis has no place for 0
    const sound = all.filter((p) => !p.flag), flagged = all.filter((p) => p.flag);
    // The axes fit the values validate does not report: an error (a fraction written as a
    // percentage) would squash every other point. A reported value beyond them sits at the edge.
    const ys = (sound.length ? sound : all).map((p) => p.y);
    const low = Math.min(...ys), high = Math.max(...ys);
    const pad = (high - low) * 0.06 || Math.abs(low) * 0.05 || 1;
    // Values near the largest number overflow the padding: plotly then picks the range itself.
    const range = Number.isFinite(low - pad) && Number.isFinite(high + pad) ? [low - pad, high + pad] : undefined;
    const hover = (p, shown) => `<b>${escapeHtml(p.row.name)}</b><br>${escapeHtml(metric.label)} ${shown}<br>${unit} ${ranked ? p.x : count(p.x)}`;
    const byCollection = new Map();
    for (const p of sound) {
      if (!byCollection.has(p.row.collection)) byCollection.set(p.row.collection, []);
      byCollection.get(p.row.collection).push(p);
    }
    const style = (name) => figures.styles[name] || { color: "#7f7f7f", symbol: "circle" };
    const trace = (name, points, legend) => ({
      type: "scatter", mode: "markers", name, showlegend: legend,
      x: points.map((p) => p.x), y: points.map((p) => p.y),
      customdata: points.map((p) => p.index),
      hovertext: points.map((p) => hover(p, p.y)), hoverinfo: "text",
      marker: {
        color: points.map((p) => style(p.row.collection).color),
        symbol: points.map((p) => style(p.row.collection).symbol),
        size: 9, line: { width: 0.5, color: "#fff" },
      },
    });
    // A trace per collection gives the legend; past a hundred, one trace (a legend that long
    // helps no one, and thousands of traces take plotly seconds): the filter above chooses.
    const names = Array.from(byCollection.keys()).sort();
    // A legend entry is text (plotly reads HTML in it), and short: a long name would take the
    // plot's width. The group ("c:" and the whole name, apart from the page's own groups)
    // ties the two plots' legends.
    const entry = (name) => escapeHtml(name.length > 40 ? `${name.slice(0, 39)}…` : name);
    const traces = names.length <= figures.legend_limit
      ? names.map((name) => ({ ...trace(entry(name || "no collection"), byCollection.get(name), true), legendgroup: `c:${name}` }))
      : [{ ...trace("models", sound, false), legendgroup: "models" }];
    const frontier = ranked ? [] : pareto(sound, metric.lower_is_better);
    if (frontier.length) traces.push({
      type: "scatter", mode: "lines", name: figures.frontier.name, legendgroup: "frontier", line: figures.frontier.line,
      x: frontier.map((p) => p.x), y: frontier.map((p) => p.y), hoverinfo: "skip",
    });
    if (flagged.length) {
      const at = (p) => (range ? Math.min(Math.max(p.y, range[0]), range[1]) : p.y);
      traces.push({
        type: "scatter", mode: "markers", name: figures.flagged.name, legendgroup: "flagged",
        x: flagged.map((p) => p.x), y: flagged.map(at), customdata: flagged.map((p) => p.index),
        hovertext: flagged.map((p) => hover(p, `${p.y} (validate: ${escapeHtml(p.flag)})`)), hoverinfo: "text",
        marker: { ...figures.flagged.marker, symbol: flagged.map((p) =>
          range && p.y > range[1] ? figures.flagged.above : range && p.y < range[0] ? figures.flagged.below : figures.flagged.marker.symbol) },
      });
    }
    return { traces, range, points: all.length, flagged: flagged.length };
  }
  function plot(axis, items, metric) {
    const holder = $(`modelindex-plot-${axis.key}`), caption = $(`modelindex-caption-${axis.key}`);
    if (!holder) return;
    holder.closest("figure").hidden = false;
    if (plotlyState !== "ready") {
      holder.textContent = plotlyState === "loading" ? "Loading the plots…" : "The plots need plotly.js, which did not load.";
      return;
    }
    // A zoo without a benchmark has nothing to plot: no empty frames.
    holder.closest(".modelindex-plots").hidden = benchmarks.length === 0;
    const measured = metric && items.some(({ row }) => Number.isFinite((row.results[view.b] || {})[metric.key]));
    if (!metric || !measured) {
      window.Plotly.purge(holder);
      holder.textContent = metric ? "No model shown has this metric." : "Choose a benchmark to plot its metric.";
      caption.textContent = "";
      return;
    }
    const last = axis === figures.axes[figures.axes.length - 1];
    const costed = items.some(({ row }) => row[axis.key] > 0 && Number.isFinite((row.results[view.b] || {})[metric.key]));
    // A plot no model of the benchmark has the cost for is left out: the other takes the width.
    holder.closest("figure").hidden = !costed && !last;
    if (!costed && !last) {
      window.Plotly.purge(holder);
      caption.textContent = "";
      return;
    }
    holder.textContent = "";
    const ranked = !costed;
    const { traces, range, points, flagged } = plotTraces(axis, items, metric, ranked);
    const direction = `${metric.lower_is_better ? "lower" : "higher"} is better${metric.known ? "" : ", assumed"}`;
    const layout = themed(axis.layout);
    layout.yaxis = { ...layout.yaxis, range, autorange: range === undefined, title: { text: escapeHtml(`${metric.label} (${direction})`) } };
    if (ranked) layout.xaxis = { ...layout.xaxis, type: "linear", title: { text: `Rank (no model gives its ${axis.title})` } };
    // One legend, beside the last plot: it hides or isolates a collection in both. Not on a
    // narrow screen, where it would take the plot's width (the collection filter is there).
    layout.showlegend = last && holder.clientWidth >= 640;
    window.Plotly.react(holder, traces, layout, figures.config);
    bindPlotEvents(holder);
    caption.textContent = `${points} models: ${metric.label} (${direction}) ` +
      (ranked ? "by rank, best first" : `against ${axis.title}; the line is the Pareto frontier`) +
      (flagged ? `; ${flagged} values validate reports as errors are marked ✕` +
      ` (at the edge when beyond the axes)` : "") + ". Click a point to open its model" +
      (layout.showlegend ? "; click a collection to hide it, double-click to see it alone." : ".");
  }
  function escapeHtml(text) {
    // Plotly's hover text is HTML: a card's name is not.
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }
  let syncing = false;
  function plotHolders() {
    return figures.axes.map((axis) => $(`modelindex-plot-${axis.key}`)).filter(Boolean);
  }
  function bindPlotEvents(holder) {
    // Plotly forgets a plot's listeners when it is purged: they are bound again on each draw.
    holder.removeAllListeners("plotly_click");
    holder.removeAllListeners("plotly_restyle");
    holder.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (point && Number.isInteger(point.customdata) && rows[point.customdata]) location.href = rows[point.customdata].url;
    });
    // A collection hidden in the legend is hidden in the other plot too (found by its name:
    // a plot lacks the collections none of whose models have its cost).
    holder.on("plotly_restyle", ([change, indices]) => {
      if (syncing || !change || !("visible" in change) || !Array.isArray(indices)) return;
      syncing = true;
      try {
        for (const other of plotHolders()) {
          if (other === holder || !other.data) continue;
          const groups = other.data.map((trace) => trace.legendgroup);
          indices.forEach((index, position) => {
            const at = groups.indexOf(holder.data[index].legendgroup);
            const visible = Array.isArray(change.visible) ? change.visible[position] : change.visible;
            // Only a change: plotly may tell of a restyle after it returns, and the other
            // plot's answer would otherwise come back here, and so on without end.
            if (at >= 0 && other.data[at].visible !== visible) window.Plotly.restyle(other, { visible: [visible] }, [at]);
          });
        }
      } finally {
        syncing = false;
      }
    });
  }
  // The dark scheme's toggle: the plots take its colours.
  new MutationObserver(() => {
    if (plotlyState !== "ready") return;
    const { text, grid } = schemeColours();
    for (const holder of plotHolders()) {
      if (!holder.data) continue;
      window.Plotly.relayout(holder, {
        "font.color": text, "xaxis.gridcolor": grid, "yaxis.gridcolor": grid, "xaxis.linecolor": grid,
        "yaxis.linecolor": grid, "xaxis.minor.gridcolor": grid, "yaxis.minor.gridcolor": grid,
      });
    }
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

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
      if (figures) for (const axis of figures.axes) plot(axis, items, metric);
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
    if (!column) return;
    if ((view.s || view.m) === column.key) { view.s = column.key; view.d = (view.d || bestOrder(column)) === "asc" ? "desc" : "asc"; }
    else { view.s = column.key; view.d = ""; }
    view.p = 0;
    const focused = document.activeElement === th;
    update();
    // The header is drawn anew: a keyboard user stays on the column sorted.
    if (focused) table.tHead.querySelector(`th[data-key="${CSS.escape(column.key)}"]`)?.focus();
  }
  // An address changed by hand, or by the browser's back button, is a view to show.
  window.addEventListener("hashchange", () => { readAddress(); update(); });
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
