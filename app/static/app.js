// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Countdown display for timed quizzes. The server enforces the deadline; this only shows it.
  function startTimers() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      if (el.dataset.timerStarted) return;
      el.dataset.timerStarted = "1";
      var deadline = Date.parse(el.dataset.deadline);
      var out = el.querySelector("[data-remaining]") || el;
      function tick() {
        var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        var m = Math.floor(left / 60), s = left % 60;
        out.textContent = m + ":" + (s < 10 ? "0" : "") + s;
        if (left > 0) setTimeout(tick, 1000);
        else el.classList.add("expired");
      }
      tick();
    });
  }
  // Texts that are only true with JavaScript (e.g. "saved automatically") replace their
  // no-JavaScript wording.
  function jsTexts() {
    document.querySelectorAll("[data-js-text]").forEach(function (el) {
      el.textContent = el.dataset.jsText;
    });
  }
  document.addEventListener("DOMContentLoaded", jsTexts);
  document.addEventListener("DOMContentLoaded", startTimers);
  document.addEventListener("htmx:afterSettle", startTimers);
  // The language selector submits on change when JS is available.
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "lang-select") ev.target.form.submit();
  });
})();
