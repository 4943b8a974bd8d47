// The console's own script: charts from data attributes, "select all", and confirmations.
// No inline script anywhere (the CSP forbids it); this file is all there is.
"use strict";

function drawCharts() {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var data = JSON.parse(box.getAttribute("data-chart"));
    var kind = box.getAttribute("data-kind");
    var series = kind === "points"
      ? [
          { name: "发放", type: "bar", data: data.issued },
          { name: "兑换", type: "bar", data: data.spent },
        ]
      : [{ name: "到会人次", type: "line", data: data.attended, smooth: true, areaStyle: {} }];
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      // richText tooltips draw on the canvas: HTML ones carry inline styles the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    box.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  document.addEventListener("click", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var name = all.getAttribute("data-select-all");
      var boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
      var on = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) { b.checked = on; });
      return;
    }
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
});
