// Receivables tab: the ageing chart (stacked bars per courier) and the 30-day trend line, drawn with ECharts
// from the page's json_script data (amounts arrive as exact text; a blank day stays a gap in the line).
(function () {
  "use strict";
  const source = document.getElementById("receivables-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const number = (text) => (text === null || text === undefined ? null : Number(text));
  const money = (value) => (value === null || value === undefined ? "—" : "¥" + Number(value).toFixed(2));
  const charts = [];

  function draw(id, option) {
    const element = document.getElementById(id);
    if (!element) return;
    const chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  draw("ageing-chart", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: money },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: "category", data: data.couriers },
    yAxis: { type: "value", axisLabel: { formatter: "¥{value}" } },
    series: data.buckets.map((bucket) => ({
      name: bucket.label, type: "bar", stack: "age", emphasis: { focus: "series" },
      data: bucket.amounts.map(number),
    })),
  });

  draw("trend-chart", {
    tooltip: { trigger: "axis", valueFormatter: money },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: "category", data: data.trend.days, boundaryGap: false },
    yAxis: { type: "value", axisLabel: { formatter: "¥{value}" } },
    series: [
      { name: data.labels.total, type: "line", data: data.trend.total.map(number), connectNulls: false,
        lineStyle: { width: 3 }, symbolSize: 6 },
      ...data.trend.couriers.map((courier) => ({
        name: courier.name, type: "line", data: courier.amounts.map(number), connectNulls: false,
        lineStyle: { type: "dashed" }, symbolSize: 4,
      })),
    ],
  });

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
