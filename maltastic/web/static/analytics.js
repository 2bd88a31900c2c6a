// Draws the Auswertung chart from the JSON block the page embeds (no inline script,
// so the Content-Security-Policy can stay at script-src 'self').
(function () {
  "use strict";
  var source = document.getElementById("analytics-data");
  var canvas = document.getElementById("analytics-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.names.impressions, data: data.impressions, borderColor: "#0b5394",
          backgroundColor: "rgba(11, 83, 148, 0.12)", fill: true, tension: 0.25, yAxisID: "y" },
        { label: data.names.clicks, data: data.clicks, borderColor: "#b45f06",
          backgroundColor: "#b45f06", tension: 0.25, yAxisID: "y" },
        { label: data.names.click_rate, data: data.click_rate, borderColor: "#38761d",
          borderDash: [4, 4], pointRadius: 0, tension: 0.25, yAxisID: "rate" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        rate: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                ticks: { callback: function (value) { return value + " %"; } } }
      }
    }
  });
})();
