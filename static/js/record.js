/*
 * The "Record a meeting" page (templates/meetings/meeting_record.html):
 * organisations added by type-ahead, one after another; people added under
 * their organisation (its people suggested first); agenda topics picked or
 * created, in order; follow-up rows added; rows removed. Each new row is the
 * formset's empty form from a <template>, numbered after the last.
 *
 * Without this script the page offers spare rows for ids, and "Add all of
 * type" works as a plain submit either way. Builds on static/js/picker.js.
 */
(function () {
  "use strict";

  var form = document.getElementById("record-form");
  if (!form || !window.Hamkor) return;
  // Django's JavaScript catalogue (/jsi18n/), loaded before this script.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.Hamkor.interpolate;
  var combobox = window.Hamkor.combobox;

  function addRow(prefix) {
    var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10) || 0;
    var html = document.getElementById(prefix + "-template").innerHTML;
    var holder = document.createElement("div");
    holder.innerHTML = html.replace(/__prefix__/g, String(index)).trim();
    total.value = String(index + 1);
    return holder.firstElementChild;
  }

  // A new row's texts name its record as "__label__" (its <template> was
  // rendered so), wherever the language puts the name: "Remove __label__",
  // "__label__ni olib tashlash".
  function setLabel(row, text) {
    var label = row.querySelector("[data-label]");
    if (label) label.textContent = text;
    row.querySelectorAll("[aria-label]").forEach(function (element) {
      element.setAttribute("aria-label", element.getAttribute("aria-label").split("__label__").join(text));
    });
    row.querySelectorAll("label").forEach(function (element) {
      if (element.textContent.indexOf("__label__") >= 0) {
        element.textContent = element.textContent.split("__label__").join(text);
      }
    });
  }

  function wireRemove(row, focusAfter) {
    row.querySelectorAll(":scope > [data-remove], :scope > div > [data-remove]").forEach(function (button) {
      if (button.closest("[data-row]") !== row) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        row.remove();
        if (focusAfter) focusAfter.focus();
      });
    });
  }

  // Organisations and their people -------------------------------------

  var organisationRows = document.getElementById("organisation-rows");
  var organisationBox = document.getElementById("add-organisation");
  var personUrl = form.dataset.personSuggest;

  function wirePersonAdder(organisationRow) {
    var adder = organisationRow.querySelector("[data-person-adder]");
    if (!adder) return;
    adder.hidden = false;
    var box = adder.querySelector("input");
    combobox(box, {
      url: function () {
        return personUrl + "?organisation=" + encodeURIComponent(organisationRow.dataset.organisation);
      },
      minLength: 0,
      enterFirst: true,
      choose: function (result) {
        box.value = "";
        var people = organisationRow.querySelector("[data-people]");
        var listed = people.querySelector('input[name$="-person"][value="' + result.id + '"]');
        if (listed) return;
        var row = addRow("people");
        row.querySelector('input[name$="-person"]').value = result.id;
        row.querySelector('input[name$="-organisation"]').value = organisationRow.dataset.organisation;
        // Under its organisation, the name alone.
        setLabel(row, result.name || result.label);
        wireRemove(row, box);
        people.appendChild(row);
      },
    });
  }

  function addOrganisation(result) {
    var listed = organisationRows.querySelector('[data-organisation="' + result.id + '"]');
    if (listed) {
      listed.classList.add("record-again");
      setTimeout(function () { listed.classList.remove("record-again"); }, 1200);
      return;
    }
    var row = addRow("organisations");
    row.dataset.organisation = result.id;
    row.querySelector('input[name$="-organisation"]').value = result.id;
    setLabel(row, result.label);
    wireRemove(row, organisationBox);
    organisationRows.appendChild(row);
    wirePersonAdder(row);
  }

  if (organisationBox) {
    document.getElementById("organisation-adder").hidden = false;
    combobox(organisationBox, {
      url: form.dataset.organisationSuggest,
      enterFirst: true,
      choose: function (result) {
        organisationBox.value = "";
        addOrganisation(result);
      },
    });
  }
  organisationRows.querySelectorAll("[data-row=organisations]").forEach(function (row) {
    wireRemove(row, organisationBox);
    wirePersonAdder(row);
    row.querySelectorAll("[data-row=people]").forEach(function (person) {
      wireRemove(person, organisationBox);
    });
  });

  // Agenda ---------------------------------------------------------------

  var agendaRows = document.getElementById("agenda-rows");
  var topicBox = document.getElementById("add-topic");

  function addTopic(id, name, isNew) {
    var row = addRow("agenda");
    if (isNew) {
      row.querySelector('input[name$="-new_topic"]').value = name;
      var badge = document.createElement("span");
      badge.className = "badge text-bg-info";
      badge.textContent = gettext("new topic");
      row.querySelector("[data-label]").after(badge);
    } else {
      row.querySelector('input[name$="-topic"]').value = id;
    }
    setLabel(row, name);
    wireRemove(row, topicBox);
    agendaRows.appendChild(row);
  }

  function listedTopic(name) {
    return Array.prototype.some.call(
      agendaRows.querySelectorAll("[data-label]"),
      function (label) { return label.textContent.trim().toLowerCase() === name.toLowerCase(); }
    );
  }

  if (topicBox) {
    document.getElementById("topic-adder").hidden = false;
    combobox(topicBox, {
      url: form.dataset.topicSuggest,
      extra: function (term, results) {
        var exact = results.some(function (r) { return r.label.toLowerCase() === term.toLowerCase(); });
        if (!exact) {
          var label = interpolate(gettext("New topic: %(name)s"), { name: term }, true);
          results = results.concat([{ id: "", label: label, create: term }]);
        }
        return results;
      },
      enterFree: function (term) {
        topicBox.value = "";
        if (!listedTopic(term)) addTopic("", term, true);
      },
      choose: function (result) {
        topicBox.value = "";
        var name = result.create || result.label;
        if (listedTopic(name)) return;
        addTopic(result.id, name, Boolean(result.create));
      },
    });
  }
  agendaRows.querySelectorAll("[data-row=agenda]").forEach(function (row) {
    wireRemove(row, topicBox);
  });

  // Follow-ups -------------------------------------------------------------

  var followUpButton = document.getElementById("add-follow-up");
  followUpButton.hidden = false;
  followUpButton.addEventListener("click", function () {
    var row = addRow("follow_ups");
    document.getElementById("follow-up-rows").appendChild(row);
    row.querySelectorAll("input[data-picker]").forEach(window.Hamkor.enhancePicker);
    var action = row.querySelector("textarea");
    if (action) action.focus();
  });

  // The meeting's status follows its date until it is chosen: held for a
  // day past, planned for one to come.
  var status = form.querySelector("#id_status");
  var day = form.querySelector("#id_day");
  if (status && day && form.dataset.newMeeting) {
    var chosen = false;
    status.addEventListener("change", function () { chosen = true; });
    day.addEventListener("change", function () {
      if (chosen || !day.value) return;
      var today = new Date().toISOString().slice(0, 10);
      status.value = day.value <= today ? "held" : "planned";
    });
  }
})();
