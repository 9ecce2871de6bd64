/* Small behaviours that templates ask for with data- attributes, since the Content-Security-Policy runs
   no inline script and no on*= attribute:
   <select data-autosubmit>       submits its form when the choice changes;
   <form data-confirm="question"> asks before it is sent;
   <form data-submit-once>        disables its buttons once sent (no double check-in on a slow network). */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.requestSubmit(); }
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    if (form.dataset.submitOnce !== undefined) {
      // After this tick, so that the clicked button's name and value still go with the form.
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });
})();
