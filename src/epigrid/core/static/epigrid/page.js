/* Small behaviours that templates ask for with data- attributes, since the Content-Security-Policy runs
   no inline script and no on*= attribute:
   <select data-autosubmit>       submits its form when the choice changes;
   <form data-confirm="question"> asks before it is sent;
   <form data-submit-once>        disables its buttons once sent (no double check-in on a slow network);
   <button data-menu-toggle>      opens and closes the menu it controls (the navigation on a phone): by tap,
                                  Enter or Space; Escape or a tap outside closes it;
   <button data-copy="id">        copies the value (or text) of the element with that id. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.requestSubmit(); }
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });
  function menu(open) {
    var toggle = document.querySelector("[data-menu-toggle]");
    if (!toggle) return;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.closest(".topbar").classList.toggle("menu-open", open);
    return toggle;
  }
  document.addEventListener("click", function (e) {
    var toggle = e.target.closest && e.target.closest("[data-menu-toggle]");
    if (toggle) {
      menu(toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    var bar = document.querySelector(".topbar.menu-open");
    if (bar && !bar.contains(e.target)) menu(false);
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copy);
      var text = source ? (source.value || source.textContent).trim() : "";
      var done = function () { copy.dataset.copied = "1"; if (copy.dataset.done) copy.textContent = copy.dataset.done; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { if (source && source.select) source.select(); });
      } else if (source && source.select) {  // plain http: select it, for the phone's own copy menu
        source.select();
        done();
        try { document.execCommand("copy"); } catch (err) { /* the selection is there to copy by hand */ }
      }
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.querySelector(".topbar.menu-open")) {
      var toggle = menu(false);
      if (toggle) toggle.focus();
    }
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
