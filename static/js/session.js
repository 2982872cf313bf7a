/*
 * Keeps what someone types from being lost to the idle sign-out
 * (accounts/session.py says why; the page's <meta name="hamkor-session">
 * says where to ask and how often).
 *
 * - While they type or click, the page asks the server at most once a
 *   refresh interval: that request is the activity the idle limit counts.
 * - Before a form is posted from a page that has gone longer than the idle
 *   limit without asking, the page asks first. Signed out: the form is not
 *   sent, what was typed stays, and a message above the button says to sign
 *   in again in another tab and press it again. Signed in (again): the form
 *   goes, with the session's current CSRF token.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="hamkor-session"]');
  if (!meta || !window.fetch) return;
  var url = meta.dataset.url;
  var loginUrl = meta.dataset.loginUrl;
  var idleMs = parseInt(meta.dataset.idleSeconds, 10) * 1000;
  var refreshMs = parseInt(meta.dataset.refreshSeconds, 10) * 1000;
  if (!url || !(idleMs > 0) || !(refreshMs > 0)) return;
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (singular, plural, count) {
    return count === 1 ? singular : plural;
  };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };

  // The page itself was a request.
  var lastContact = Date.now();
  var activeSince = null;

  function ask() {
    return fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).catch(function () {
      return null;
    }).then(function (status) {
      if (status && status.signed_in) lastContact = Date.now();
      return status;
    });
  }

  function activity() {
    if (activeSince === null) activeSince = Date.now();
  }
  ["input", "keydown", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, activity, { capture: true, passive: true });
  });
  setInterval(function () {
    if (activeSince !== null && Date.now() - lastContact >= refreshMs) {
      activeSince = null;
      ask();
    }
  }, Math.min(refreshMs, 60000));

  // A form posted with something typed or chosen in it: not the buttons of
  // logging out or choosing the language, whose forms hold hidden fields only.
  function postsInput(form) {
    return (form.getAttribute("method") || "get").toLowerCase() === "post" &&
      form.querySelector('input:not([type="hidden"]), textarea, select') !== null;
  }

  function notice(form, submitter) {
    var box = form.querySelector("[data-session-notice]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-warning";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      box.dataset.sessionNotice = "true";
      var text = document.createElement("span");
      var minutes = Math.round(idleMs / 60000);
      text.textContent = interpolate(
        ngettext(
          "You were logged out after %(minutes)s minute without activity. What you typed is still on this page: log in again in another tab, then press the button again.",
          "You were logged out after %(minutes)s minutes without activity. What you typed is still on this page: log in again in another tab, then press the button again.",
          minutes
        ),
        { minutes: minutes },
        true
      ) + " ";
      var link = document.createElement("a");
      link.href = loginUrl;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = gettext("Log in in a new tab");
      box.appendChild(text);
      box.appendChild(link);
      // Above the row of the button pressed, where the eye is.
      var anchor = submitter || null;
      while (anchor && anchor.parentNode !== form) anchor = anchor.parentNode;
      form.insertBefore(box, anchor || form.firstChild);
    }
    box.focus();
  }

  // Send the form again, through its own checks and this one's, as the
  // button pressed would have.
  function resubmit(form, submitter) {
    if (form.requestSubmit) form.requestSubmit(submitter || undefined);
    else form.submit();
  }

  function send(form, submitter, status) {
    form.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      input.value = status.csrf_token;
    });
    var box = form.querySelector("[data-session-notice]");
    if (box) box.remove();
    resubmit(form, submitter);
  }

  // After the forms' own checks (picker.js listens on the form itself).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !postsInput(form)) return;
    if (Date.now() - lastContact < idleMs - refreshMs) return;
    event.preventDefault();
    var submitter = event.submitter;
    ask().then(function (status) {
      if (status && status.signed_in) {
        send(form, submitter, status);
      } else if (status) {
        notice(form, submitter);
      } else {
        // The server did not answer: let the form try, as it would have.
        lastContact = Date.now();
        resubmit(form, submitter);
      }
    });
  });
})();
