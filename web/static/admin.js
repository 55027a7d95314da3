// The operator console's charts, drawn by Chart.js (chart.umd.min.js, loaded before this).
// The data comes from the page's <script type="application/json" id="chart-data">: the
// Content-Security-Policy lets no inline script run.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = {
    verified: "#1f7a4d", not_matched: "#c2410c", withheld: "#7c3aed", unavailable: "#a16207",
    expired: "#64748b", ambiguous: "#0e7490", throttled: "#be123c", untrusted: "#1e3a8a",
    error: "#111827"
  };
  Chart.defaults.font.family = '"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif';
  Chart.defaults.animation = false;  // an operator reads numbers, and screenshots see the chart

  function stacked(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: series.datasets.map(function (set) {
          return { label: set.label, data: set.data, backgroundColor: colours[set.key] || "#94a3b8" };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
                  y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  if (data.day) { stacked("chart-day", data.day); }
  if (data.month) { stacked("chart-month", data.month); }
  if (data.coverage) {
    var canvas = document.getElementById("chart-coverage");
    if (canvas) {
      new Chart(canvas, {
        type: "doughnut",
        data: {
          labels: data.coverage.labels,
          datasets: [{ data: data.coverage.data, backgroundColor: ["#1f7a4d", "#94a3b8", "#c2410c"] }]
        },
        options: { responsive: true, maintainAspectRatio: false,
                   plugins: { legend: { position: "bottom" } } }
      });
    }
  }
}());
