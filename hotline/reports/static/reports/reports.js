// The reports' pages (no inline scripts: the CSP forbids them).
//  - div[data-chart="id"]: draws the ECharts chart whose options are in <script id="id" type="application/json">
//    ({title, kind: line | bar | stacked_bar | heatmap, x, y, series: [{name, data}]});
//  - table[data-sortable] th[data-sort]: a click sorts the rows by that column (again: the other way),
//    by each cell's data-value (numbers as numbers);
//  - select[data-period-preset]: the date fields only matter for "custom".
"use strict";

(function () {
  function option(spec) {
    const base = { title: { text: spec.title, textStyle: { fontSize: 14 } }, tooltip: { trigger: "axis" },
      legend: { top: 24 }, grid: { top: 64, left: 56, right: 24, bottom: 40 }, animation: false };
    if (spec.kind === "heatmap") {
      const values = spec.series.length ? spec.series[0].data.map((d) => d[2]) : [0];
      return Object.assign(base, { tooltip: { position: "top" },
        xAxis: { type: "category", data: spec.x }, yAxis: { type: "category", data: spec.y },
        visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, orient: "horizontal", left: "center", bottom: 0 },
        series: [{ type: "heatmap", data: spec.series.length ? spec.series[0].data : [], label: { show: true } }] });
    }
    const type = spec.kind === "line" ? "line" : "bar";
    return Object.assign(base, { xAxis: { type: "category", data: spec.x }, yAxis: { type: "value" },
      series: spec.series.map((s) => ({ name: s.name, type: type, data: s.data,
        stack: spec.kind === "stacked_bar" ? "all" : undefined })) });
  }

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach((element) => {
      const source = document.getElementById(element.dataset.chart);
      if (!source || element.dataset.drawn) return;
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option(JSON.parse(source.textContent)));
      element.dataset.drawn = "1";
      window.addEventListener("resize", () => chart.resize());
    });
  }

  function sortBy(header) {
    const table = header.closest("table");
    const index = Array.from(header.parentNode.children).indexOf(header);
    const body = table.tBodies[0];
    const rows = Array.from(body.querySelectorAll("tr[data-row]"));
    const descending = header.dataset.order !== "desc";
    const numeric = header.dataset.kind !== "text";
    const value = (row) => {
      const raw = row.children[index] ? row.children[index].dataset.value : "";
      if (!numeric) return raw || "";
      return raw === "" || raw === undefined ? -Infinity : Number(raw);
    };
    rows.sort((a, b) => {
      const x = value(a), y = value(b);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    rows.forEach((row) => body.appendChild(row));
    header.parentNode.querySelectorAll("th").forEach((th) => { delete th.dataset.order; th.removeAttribute("aria-sort"); });
    header.dataset.order = descending ? "desc" : "asc";
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  document.addEventListener("click", (event) => {
    const header = event.target.closest("table[data-sortable] th[data-sort]");
    if (header) sortBy(header);
  });
  document.addEventListener("change", (event) => {
    const preset = event.target.closest("[data-period-preset]");
    if (preset) preset.form.classList.toggle("custom", preset.value === "custom");
  });
  document.addEventListener("DOMContentLoaded", () => drawCharts(document));
  document.body.addEventListener("htmx:afterSwap", (event) => drawCharts(event.target));
})();
