// The console's own script: charts from data attributes, "select all", and confirmations.
// No inline script anywhere (the CSP forbids it); this file is all there is.
"use strict";

function drawCharts() {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var data = JSON.parse(box.getAttribute("data-chart"));
    var kind = box.getAttribute("data-kind");
    if (kind === "heat") {
      drawHeat(box, data);
      return;
    }
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

// The counter: read the code on the villager's phone with the laptop's camera where the browser
// can (BarcodeDetector); typing stays the way everywhere else.
function offerScanning() {
  var button = document.getElementById("scan");
  var video = document.getElementById("camera");
  var input = document.getElementById("code");
  if (!button || !video || !input || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            video.hidden = true;
            input.value = codes[0].rawValue;
            input.form.requestSubmit();
          } else {
            window.requestAnimationFrame(look);
          }
        }).catch(function () { window.requestAnimationFrame(look); });
      };
      look();
    }).catch(function () {
      button.textContent = "无法使用摄像头，请手动输入";
      button.disabled = true;
    });
  });
}

// The town's 三会一课 matrix: a branch per row, a month per column, red to green by the share
// of the required meetings held.
function drawHeat(box, data) {
  var chart = echarts.init(box, null, { renderer: "canvas" });
  box.style.height = Math.max(240, 60 + 28 * data.branches.length) + "px";
  chart.resize();
  chart.setOption({
    animation: false,
    tooltip: {
      renderMode: "richText",
      formatter: function (p) {
        return data.branches[p.value[1]] + " " + data.months[p.value[0]] + "：已开 " + p.value[3] + " / 应开 " + p.value[4];
      },
    },
    grid: { left: 180, right: 24, top: 8, bottom: 64 },
    xAxis: { type: "category", data: data.months, splitArea: { show: true } },
    yAxis: { type: "category", data: data.branches, splitArea: { show: true } },
    visualMap: {
      min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
      inRange: { color: ["#f4c7c3", "#fff4d6", "#b7e1c1"] }, text: ["100%", "0%"],
    },
    series: [{
      type: "heatmap", data: data.cells,
      label: { show: true, formatter: function (p) { return p.value[3] + "/" + p.value[4]; } },
    }],
  });
  box.setAttribute("data-drawn", "true");
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  offerScanning();
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
