// Behaviour for the console pages. Kept out of the HTML so the Content-Security-Policy can
// forbid inline script: pages mark elements with data attributes and this file acts on them.
(function () {
  "use strict";

  function bars(el, grid, names, values, label) {
    window.echarts.init(el).setOption({
      grid: grid,
      xAxis: {type: "value", min: 0, max: 100},
      yAxis: {type: "category", data: names},
      series: [{type: "bar", data: values, label: label}]
    });
  }

  var charts = {
    // Competitive consultation: candidates' weighted totals.
    "ranking-chart": function (el) {
      var rows = JSON.parse(el.dataset.ranking).slice().reverse();
      bars(el, {left: 220, right: 60, top: 10, bottom: 20},
        rows.map(function (r) { return r.name; }),
        rows.map(function (r) { return r.score; }),
        {show: true, position: "right", formatter: function (p) { return p.value.toFixed(2); }});
    },
    // Quality report: the score of each dimension.
    "scores-chart": function (el) {
      var scores = JSON.parse(el.dataset.scores), labels = JSON.parse(el.dataset.labels);
      var keys = Object.keys(labels);
      bars(el, {left: 90, right: 30, top: 10, bottom: 20},
        keys.map(function (k) { return labels[k]; }),
        keys.map(function (k) { return scores[k]; }),
        {show: true, position: "right"});
    }
  };

  // <div data-chart='{ECharts option as JSON}'>: any page draws a chart the server described.
  function initDataCharts() {
    var drawn = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(el.getAttribute("data-chart")));
      drawn.push(chart);
    });
    if (drawn.length) {
      window.addEventListener("resize", function () {
        drawn.forEach(function (chart) { chart.resize(); });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.echarts) {
      Object.keys(charts).forEach(function (id) {
        var el = document.getElementById(id);
        if (el) charts[id](el);
      });
      initDataCharts();
    }
  });

  // <input data-no-submit>: Enter searches (htmx) instead of submitting the whole form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.hasAttribute &&
        event.target.hasAttribute("data-no-submit")) event.preventDefault();
  }, true);

  // Pickers (_picker.html): a click on a match puts its value in the field's hidden input.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-pick]");
    if (!button) return;
    var box = button.closest("[data-picker]");
    if (!box) return;
    box.querySelector("[data-pick-value]").value = button.getAttribute("data-pick");
    var chosen = box.querySelector("[data-pick-chosen]");
    chosen.textContent = (chosen.getAttribute("data-prefix") || "") + button.getAttribute("data-pick-label");
    box.querySelector(".pick-results").innerHTML = "";
    box.classList.remove("invalid");
  });

  // List toolbars (_list.html): filters left at 全部 stay out of the address.
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (!source || !source.matches || !source.matches("form.list-toolbar")) return;
    var params = event.detail.parameters;
    var names = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    names.forEach(function (name) {
      var value = params instanceof FormData ? params.get(name) : params[name];
      if (value === "") {
        if (params instanceof FormData) params.delete(name); else delete params[name];
      }
    });
  });

  // <form data-confirm="…">: ask before an action that cannot be taken back.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
