/* Jiaoyan page behaviour. No inline scripts anywhere (CSP): everything hooks in here.
 *  - [data-chart="ID"]: draws the ECharts option kept in <script type="application/json" id="ID">
 *  - form[data-confirm]: asks before submitting
 *  - button[data-confirm] (one of several submit buttons of a form): asks before it submits
 *  - [data-copy="ID"]: copies the text of element ID
 *  - select[data-autosubmit] / input[data-autosubmit]: submits its form on change
 */
(function () {
  "use strict";
  var charts = [];

  function drawCharts(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      var option;
      try { option = JSON.parse(src.textContent); } catch (e) { return; }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      charts.push(chart);
    });
  }

  function wire(root) {
    drawCharts(root);
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
      });
    });
    root.querySelectorAll("button[data-confirm]").forEach(function (btn) {
      if (btn.dataset.wired) return;
      btn.dataset.wired = "1";
      btn.addEventListener("click", function (ev) {
        if (!window.confirm(btn.dataset.confirm)) ev.preventDefault();
      });
    });
    root.querySelectorAll("[data-copy]").forEach(function (btn) {
      if (btn.dataset.wired) return;
      btn.dataset.wired = "1";
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.dataset.copy);
        if (!target) return;
        var text = target.value || target.textContent;
        if (navigator.clipboard) {
          navigator.clipboard.writeText(text.trim()).then(function () {
            btn.textContent = btn.dataset.copied || "✓";
          });
        } else if (target.select) {
          target.select();
          document.execCommand("copy");
          btn.textContent = btn.dataset.copied || "✓";
        }
      });
    });
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      el.addEventListener("change", function () {
        if (el.form) {
          if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { wire(ev.target); });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
