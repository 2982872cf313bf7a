/*
 * Leaving a page with a form changed and not saved asks first (the browser's
 * own "Leave site?" dialog): a link clicked by mistake, the language switched
 * or the tab closed halfway through recording a meeting would otherwise lose
 * what was typed.
 *
 * A form counts once something in it is typed, chosen or ticked, and from the
 * start when the server showed it again unsaved (its errors, or the
 * recording page's "Add all of type": `data-unsaved`, or the admin's
 * `.errornote`). Sending it stops counting it, unless the send was stopped
 * (picker.js, session.js). Only POST forms with fields of their own, only on
 * signed-in pages; the admin's row selection and actions are not changes.
 */
(function () {
  "use strict";

  if (!document.querySelector('meta[name="hamkor-session"]')) return;

  var NOT_CHANGES = ".action-select, #action-toggle, select[name='action']";
  var changed = new Set();

  function editable(form) {
    return form instanceof HTMLFormElement &&
      (form.getAttribute("method") || "get").toLowerCase() === "post" &&
      form.querySelector('input:not([type="hidden"]), textarea, select') !== null;
  }

  function edited(event) {
    var field = event.target;
    var form = field.form || (field.closest && field.closest("form"));
    if (!form || !editable(form) || (field.matches && field.matches(NOT_CHANGES))) return;
    changed.add(form);
  }
  document.addEventListener("input", edited, true);
  document.addEventListener("change", edited, true);

  Array.prototype.forEach.call(document.querySelectorAll("form[data-unsaved], .errornote"), function (element) {
    var form = element.closest("form");
    if (form && editable(form)) changed.add(form);
  });

  // After the forms' own checks, which may stop the send.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) changed.delete(event.target);
  });

  window.addEventListener("beforeunload", function (event) {
    var unsaved = Array.from(changed).some(function (form) { return form.isConnected; });
    if (unsaved) {
      event.preventDefault();
      // Chromium before 119 asks only when this is set.
      event.returnValue = "";
    }
  });
})();
