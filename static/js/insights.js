// The insights dashboard's charts, drawn with Chart.js from the numbers the server embedded
// (#insights-data). The same numbers are in the tables next to each chart, so the page
// reads the same without JavaScript; once a chart is drawn its long table folds away.
(function () {
  "use strict";
  const holder = document.getElementById("insights-data");
  if (!holder || typeof window.Chart !== "function") return;
  const data = JSON.parse(holder.textContent);
  const Chart = window.Chart;

  const css = getComputedStyle(document.documentElement);
  const cssVar = (name, fallback) => (css.getPropertyValue(name) || "").trim() || fallback;
  const text = cssVar("--text", "#1c2430");
  const grid = cssVar("--border", "#d6dbe3");
  // The brand colours first, then distinct hues that read on light and dark backgrounds.
  const palette = [cssVar("--brand", "#1f5f8b"), cssVar("--accent", "#c2410c"), "#15803d",
    "#7c3aed", "#b45309", "#0e7490", "#be185d"];
  // Series that mean something good, bad or neither (NPS groups) keep those colours.
  const tones = { good: "#15803d", neutral: "#a16207", bad: cssVar("--error-text", "#a61b1b") };
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.color = text;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = cssVar("--font", "system-ui, sans-serif");
  if (reduceMotion) Chart.defaults.animation = false;

  function dataset(series, index, spec) {
    const colour = tones[series.tone] || palette[index % palette.length];
    const type = series.type || spec.type;
    const set = {
      label: series.label,
      data: series.data,
      borderColor: colour,
      backgroundColor: type !== "line" && /^#[0-9a-f]{6}$/i.test(colour) ? colour + "cc" : colour,
      borderWidth: type === "line" ? 2 : 1,
      pointRadius: series.data.length > 60 ? 0 : 2,
      cubicInterpolationMode: "monotone",
      spanGaps: false,  // a period with no answers has no NPS: leave a gap
    };
    if (series.type) set.type = series.type;
    if (series.axis) set.yAxisID = series.axis;
    if (spec.type === "doughnut") set.backgroundColor = series.data.map((_, i) => palette[i % palette.length]);
    return set;
  }

  function config(spec) {
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
    };
    if (spec.type !== "doughnut") {
      const value = { beginAtZero: true, stacked: Boolean(spec.stacked), ticks: { precision: 0 } };
      const category = { stacked: Boolean(spec.stacked), ticks: { autoSkip: true, maxRotation: 0 } };
      options.scales = spec.horizontal ? { x: value, y: category } : { x: category, y: value };
      if (spec.horizontal) options.indexAxis = "y";
      if (spec.series.some((s) => s.axis === "score")) {
        options.scales.score = { position: "right", min: -100, max: 100, grid: { drawOnChartArea: false } };
      }
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.series.map((s, i) => dataset(s, i, spec)) },
      options: options,
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = data.charts[canvas.dataset.chart];
    if (!spec) return;
    const figure = canvas.closest("figure");
    if (figure) figure.hidden = false;
    new Chart(canvas, config(spec));
  });
  document.querySelectorAll("details.numbers").forEach((details) => {
    details.open = false;
  });
})();
