// The reports' pages (no inline scripts: the CSP forbids them).
//  - div[data-chart="id"]: draws the ECharts chart whose options are in <script id="id" type="application/json">
//    ({title (shown as the figure's caption), kind: line | bar | stacked_bar | heatmap, x, y, series: [{name, data}]}), as SVG;
//  - table[data-sortable] th[data-sort]: a click, Enter or Space sorts the rows by that column (again: the other
//    way), by each cell's data-value (numbers as numbers, words in the page's language order); the total row
//    stays at the foot;
//  - select[data-period-preset]: the date fields show (and are sent) only for "custom";
//  - [data-print]: prints the page (the print style leaves out the navigation and the form).
"use strict";

(function () {
  const charts = [];

  // A figure as a chart label: whole numbers as they are, others to two decimals, nothing for no value.
  function short(value) {
    if (value === null || value === undefined) return "";
    return Number.isInteger(value) ? String(value) : Number(value).toFixed(2);
  }

  function option(spec) {
    // The title is the figure's caption (chart.html), not drawn in the chart: it never hides the legend.
    const base = { tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, type: "scroll" }, grid: { top: 36, left: 56, right: 24, bottom: 32, containLabel: true },
      animation: false };
    if (spec.kind === "heatmap") {
      const data = spec.series.length ? spec.series[0].data : [];
      const values = data.map((d) => d[2]).filter((v) => v !== null && v !== undefined);
      return Object.assign(base, { tooltip: { position: "top", confine: true }, grid: { top: 16, left: 80, right: 24, bottom: 84 },
        xAxis: { type: "category", data: spec.x, splitArea: { show: true } },
        yAxis: { type: "category", data: spec.y, splitArea: { show: true } },
        visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, orient: "horizontal", left: "center", bottom: 0,
          precision: values.every(Number.isInteger) ? 0 : 2 },
        series: [{ type: "heatmap", data: data,
          label: { show: data.length <= 200, formatter: (p) => short(p.value[2]) } }] });
    }
    const type = spec.kind === "line" ? "line" : "bar";
    return Object.assign(base, { xAxis: { type: "category", data: spec.x }, yAxis: { type: "value" },
      series: spec.series.map((s) => ({ name: s.name, type: type, data: s.data, connectNulls: false,
        showSymbol: type === "line" && spec.x.length <= 48, stack: spec.kind === "stacked_bar" ? "all" : undefined })) });
  }

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach((element) => {
      const source = document.getElementById(element.dataset.chart);
      if (!source || element.dataset.drawn) return;
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option(JSON.parse(source.textContent)));
      element.dataset.drawn = "1";
      charts.push(chart);
    });
  }

  function resizeCharts() { charts.forEach((chart) => { if (!chart.isDisposed()) chart.resize(); }); }

  function sortBy(header) {
    const table = header.closest("table");
    const index = Array.from(header.parentNode.children).indexOf(header);
    const body = table.tBodies[0];
    const rows = Array.from(body.querySelectorAll("tr[data-row]"));
    const descending = header.dataset.order !== "desc";
    const numeric = !["text", "datetime", "date"].includes(header.dataset.kind);
    const value = (row) => {
      const raw = row.children[index] ? row.children[index].dataset.value : "";
      if (!numeric) return raw || "";
      return raw === "" || raw === undefined ? -Infinity : Number(raw);
    };
    const collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
    rows.sort((a, b) => {
      const x = value(a), y = value(b);
      const order = numeric ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
      return descending ? -order : order;
    });
    rows.forEach((row) => body.appendChild(row));
    header.parentNode.querySelectorAll("th").forEach((th) => { delete th.dataset.order; th.removeAttribute("aria-sort"); });
    header.dataset.order = descending ? "desc" : "asc";
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function prepareHeaders(root) {
    root.querySelectorAll("table[data-sortable] th[data-sort]").forEach((th) => {
      th.tabIndex = 0;  // sortable by keyboard too
      th.setAttribute("role", "columnheader");
    });
  }

  function showDates(preset) {
    const form = preset.form;
    const custom = preset.value === "custom";
    form.classList.toggle("custom", custom);
    form.querySelectorAll(".dates input").forEach((input) => { input.disabled = !custom; });
  }

  document.addEventListener("click", (event) => {
    const header = event.target.closest("table[data-sortable] th[data-sort]");
    if (header) { sortBy(header); return; }
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("keydown", (event) => {
    const header = event.target.closest && event.target.closest("table[data-sortable] th[data-sort]");
    if (header && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); sortBy(header); }
  });
  document.addEventListener("change", (event) => {
    const preset = event.target.closest("[data-period-preset]");
    if (preset) showDates(preset);
  });
  function start(root) { drawCharts(root); prepareHeaders(root); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document));
  else start(document);
  document.body.addEventListener("htmx:afterSwap", (event) => start(event.target));
  window.addEventListener("resize", resizeCharts);
  window.addEventListener("beforeprint", resizeCharts);
  window.addEventListener("afterprint", resizeCharts);
})();
