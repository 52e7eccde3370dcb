/* Lesson observation pages (no inline scripts: CSP).
 *  - [data-st-panel]: the S-T tapper. With the timer running, T/S set the current
 *    behaviour and every sampling interval records it; with the timer stopped, each tap
 *    records one sample. The textarea [data-st-sequence] is the record that is posted.
 *  - [data-score-sheet]: the live total (the server computes the stored one).
 *  - select[data-teacher-select]: fills subject and stage from the chosen teacher.
 */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function analyse(seq) {
    var n = seq.length;
    if (!n) return null;
    var t = 0, runs = 1;
    for (var i = 0; i < n; i++) {
      if (seq[i] === "T") t++;
      if (i > 0 && seq[i] !== seq[i - 1]) runs++;
    }
    var rt = t / n, ch = (runs - 1) / n, mode;
    // Same thresholds as observations/st.py, compared on integers (no rounding).
    if (10 * t <= 3 * n) mode = "practice";
    else if (10 * t >= 7 * n) mode = "lecture";
    else if (10 * (runs - 1) >= 4 * n) mode = "dialogue";
    else mode = "mixed";
    return { n: n, rt: rt, ch: ch, mode: mode };
  }

  function stPanel(panel) {
    var form = panel.closest("form");
    var box = form.querySelector("[data-st-sequence]");
    var intervalInput = form.querySelector("[data-st-interval]");
    var clock = panel.querySelector("[data-st-clock]");
    var countdown = panel.querySelector("[data-st-countdown]");
    var startBtn = panel.querySelector("[data-st-start]");
    var currentEl = panel.querySelector("[data-st-current]");
    var modeEl = panel.querySelector("[data-st-mode]");
    var key = "jiaoyan-st-" + (panel.dataset.stKey || "new");
    var state = { running: false, start: 0, ticks: 0, current: "", elapsed: 0 };
    var timer = null;

    try {
      var saved = JSON.parse(window.sessionStorage.getItem(key) || "null");
      if (saved) state = saved;
    } catch (e) { /* private mode: no resume */ }

    function save() {
      try { window.sessionStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* ignore */ }
    }
    function seq() { return (box.value || "").toUpperCase().replace(/[^TS]/g, ""); }
    function interval() {
      var v = parseInt(intervalInput && intervalInput.value, 10);
      return v >= 5 && v <= 600 ? v : 30;
    }
    function append(symbol) {
      box.value = seq() + symbol;
      box.dispatchEvent(new Event("change"));
      refresh();
    }
    function elapsedSeconds() {
      return state.running ? state.elapsed + (Date.now() - state.start) / 1000 : state.elapsed;
    }
    function refresh() {
      var s = seq();
      var r = analyse(s);
      panel.querySelector("[data-st-count]").textContent = s.length;
      panel.querySelector("[data-st-rt]").textContent = r ? r.rt.toFixed(2) : "—";
      panel.querySelector("[data-st-ch]").textContent = r ? r.ch.toFixed(2) : "—";
      modeEl.textContent = r ? modeEl.dataset[r.mode] : "";
      currentEl.textContent = state.current || "—";
      panel.querySelectorAll("[data-st-tap]").forEach(function (b) {
        b.classList.toggle("st-current", state.running && b.dataset.stTap === state.current);
      });
      var secs = Math.floor(elapsedSeconds());
      clock.textContent = pad(Math.floor(secs / 60)) + ":" + pad(secs % 60);
      if (state.running) {
        var left = interval() - (elapsedSeconds() % interval());
        countdown.textContent = Math.ceil(left) + "s";
      } else {
        countdown.textContent = "—";
      }
      startBtn.textContent = state.running ? startBtn.dataset.labelStop : startBtn.dataset.labelStart;
      startBtn.classList.toggle("btn-warning", state.running);
    }
    function tick() {
      var due = Math.floor(elapsedSeconds() / interval());
      var added = false;
      while (state.ticks < due) {
        state.ticks++;
        if (state.current) { box.value = seq() + state.current; added = true; }
      }
      if (added) {
        panel.classList.remove("st-due");
        void panel.offsetWidth;
        panel.classList.add("st-due");
        if (navigator.vibrate) navigator.vibrate(40);
      }
      save();
      refresh();
    }
    function run() {
      if (timer) window.clearInterval(timer);
      timer = window.setInterval(tick, 250);
    }

    startBtn.addEventListener("click", function () {
      if (state.running) {
        tick();
        state.elapsed = elapsedSeconds();
        state.running = false;
        if (timer) window.clearInterval(timer);
        timer = null;
      } else {
        state.running = true;
        state.start = Date.now();
        run();
      }
      save();
      refresh();
    });
    panel.querySelectorAll("[data-st-tap]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var symbol = btn.dataset.stTap;
        if (state.running) {
          state.current = symbol;
          save();
          refresh();
        } else {
          append(symbol);
        }
      });
    });
    panel.querySelector("[data-st-undo]").addEventListener("click", function () {
      box.value = seq().slice(0, -1);
      refresh();
    });
    box.addEventListener("input", refresh);
    form.addEventListener("submit", function () {
      if (state.running) tick();
      box.value = seq();
      if (form.querySelector("[name=action][value=submit]") && document.activeElement &&
          document.activeElement.value === "submit") {
        try { window.sessionStorage.removeItem(key); } catch (e) { /* ignore */ }
      }
    });
    if (state.running) run();
    refresh();
  }

  function scoreSheet(sheet) {
    var totalEl = sheet.querySelector("[data-score-total]");
    function compute() {
      var total = 0, complete = true;
      sheet.querySelectorAll("[data-dimension]").forEach(function (dim) {
        var weight = parseFloat(dim.dataset.weight), got = 0, max = 0;
        dim.querySelectorAll("[data-score]").forEach(function (input) {
          max += parseFloat(input.dataset.max);
          if (input.value === "") { complete = false; return; }
          got += parseFloat(input.value);
        });
        if (max > 0) total += weight * got / max;
      });
      totalEl.textContent = complete ? (Math.round(total * 100) / 100).toFixed(2) : "—";
    }
    sheet.addEventListener("input", compute);
    compute();
  }

  function teacherSelect(select) {
    var form = select.form;
    select.addEventListener("change", function () {
      var opt = select.options[select.selectedIndex];
      if (!opt) return;
      ["subject", "stage"].forEach(function (name) {
        var value = opt.dataset[name];
        var target = form.querySelector("select[name$='" + name + "']");
        if (value && target) target.value = value;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-st-panel]").forEach(stPanel);
    document.querySelectorAll("[data-score-sheet]").forEach(scoreSheet);
    document.querySelectorAll("select[data-teacher-select]").forEach(teacherSelect);
  });
})();
