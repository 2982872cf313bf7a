/*
 * Search-as-you-type pickers for fields that hold the id of a record (an
 * organisation, person, meeting or topic): see PickerInput in core/forms.py.
 *
 * Without JavaScript the field is a plain text input for the id. With it, the
 * input becomes a hidden field and a combobox is shown in its place: typing two
 * letters asks the field's `data-picker` URL for matches (?q=), and choosing one
 * puts its id in the hidden field. The label of an id already in the field is
 * the input's `data-label`, or fetched with ?id=. A field with
 * `data-picker-multiple` holds several ids, comma-separated, each shown as a
 * chip with a button to remove it. Keyboard: arrows move, Enter chooses,
 * Escape closes.
 *
 * Text left in a box, typed but never chosen (or, where Enter adds it, never
 * added), would be dropped by the form, and with it the record the field held
 * before: the form is not sent, and the box says what to do.
 *
 * `Hamkor.combobox` and `Hamkor.enhancePicker` are what static/js/record.js
 * builds on.
 */
(function () {
  "use strict";

  // Django's JavaScript catalogue (/jsi18n/), loaded before this script;
  // English where it is missing.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };

  var DELAY_MS = 200;
  var MIN_LENGTH = 2;
  var counter = 0;

  // The boxes of the page, each with what tells whether it holds text that
  // the form would lose: [{box, pending(), message, feedback, before}].
  var watched = [];

  function flag(entry) {
    var box = entry.box;
    if (!entry.before) {
      entry.before = {
        invalid: box.classList.contains("is-invalid"),
        aria: box.getAttribute("aria-invalid"),
        describedby: box.getAttribute("aria-describedby"),
      };
    }
    if (!entry.feedback) {
      entry.feedback = document.createElement("div");
      entry.feedback.className = "invalid-feedback d-block";
      entry.feedback.id = (box.id || "combobox-" + ++counter) + "_unchosen";
      box.parentNode.appendChild(entry.feedback);
    }
    entry.feedback.textContent = interpolate(entry.message, { text: box.value.trim() }, true);
    box.classList.add("is-invalid");
    box.setAttribute("aria-invalid", "true");
    var described = entry.before.describedby;
    box.setAttribute("aria-describedby", (described ? described + " " : "") + entry.feedback.id);
  }

  function unflag(entry) {
    var before = entry.before;
    if (!before) return;
    var box = entry.box;
    entry.feedback.remove();
    entry.feedback = null;
    box.classList.toggle("is-invalid", before.invalid);
    [["aria-invalid", before.aria], ["aria-describedby", before.describedby]].forEach(function (pair) {
      if (pair[1] === null) box.removeAttribute(pair[0]);
      else box.setAttribute(pair[0], pair[1]);
    });
    entry.before = null;
  }

  function checkBeforeSubmit(event) {
    var form = event.target;
    var first = null;
    watched.forEach(function (entry) {
      if (!form.contains(entry.box)) return;
      if (entry.pending()) {
        flag(entry);
        first = first || entry.box;
      } else {
        unflag(entry);
      }
    });
    if (first) {
      event.preventDefault();
      first.focus();
    }
  }

  // Watch `box` for text its form would lose; returns what re-checks it.
  function watch(box, pending, message) {
    var entry = { box: box, pending: pending, message: message, feedback: null, before: null };
    watched.push(entry);
    var form = box.form;
    if (form && !form.dataset.pickerWatched) {
      form.dataset.pickerWatched = "true";
      form.addEventListener("submit", checkBeforeSubmit);
    }
    return function () {
      if (entry.before && !entry.pending()) unflag(entry);
    };
  }

  function fetchResults(url, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : { results: [] };
    }).then(function (data) {
      return data.results || [];
    }).catch(function () {
      return [];
    });
  }

  /*
   * Make the text input `box` a combobox. options: url (or a function
   * returning it), choose(result), minLength (default 2; 0 lists on focus),
   * enterFree(term) for Enter with no option highlighted (else the first
   * option is chosen when `enterFirst`), extra(term, results) to add options,
   * pending() for whether the box holds text the form would lose (default:
   * any text).
   */
  function combobox(box, options) {
    var minLength = options.minLength === undefined ? MIN_LENGTH : options.minLength;
    var listId = (box.id || "combobox-" + ++counter) + "_listbox";
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", listId);
    box.setAttribute("autocomplete", "off");

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var wrapper = document.createElement("div");
    wrapper.className = "picker";
    box.parentNode.insertBefore(wrapper, box);
    wrapper.appendChild(box);
    wrapper.appendChild(list);

    var results = [];
    var active = -1;
    var timer = null;
    var request = 0;

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        box.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    }

    var recheck = watch(
      box,
      options.pending || function () { return box.value.trim() !== ""; },
      options.enterFree
        ? gettext("“%(text)s” is not added yet: press Enter to add it, or clear the box.")
        : gettext("“%(text)s” is not chosen: choose it from the suggestions, or clear the box.")
    );

    function choose(index) {
      var result = results[index];
      if (!result) return;
      close();
      options.choose(result);
      recheck();
    }

    function show(found) {
      results = found;
      list.textContent = "";
      found.forEach(function (result, index) {
        var item = document.createElement("li");
        item.id = listId + "_" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = result.label;
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
          choose(index);
        });
        list.appendChild(item);
      });
      list.hidden = found.length === 0;
      box.setAttribute("aria-expanded", found.length ? "true" : "false");
      active = -1;
    }

    function search() {
      clearTimeout(timer);
      var term = box.value.trim();
      if (term.length < minLength) {
        show([]);
        return;
      }
      timer = setTimeout(function () {
        var mine = ++request;
        var url = typeof options.url === "function" ? options.url() : options.url;
        fetchResults(url, { q: term }).then(function (found) {
          if (options.extra) found = options.extra(term, found);
          // Not for a box left meanwhile: its list would stay open.
          if (mine === request && document.activeElement === box) show(found);
        });
      }, term.length ? DELAY_MS : 0);
    }

    box.addEventListener("input", function () {
      if (options.typed) options.typed();
      recheck();
      search();
    });
    if (minLength === 0) box.addEventListener("focus", search);

    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        // Never submit the form from a search box.
        if (active >= 0 && !list.hidden) {
          event.preventDefault();
          choose(active);
        } else if (options.enterFree || options.enterFirst) {
          event.preventDefault();
          var term = box.value.trim();
          if (options.enterFree && term) {
            close();
            options.enterFree(term);
            recheck();
          } else if (options.enterFirst && !list.hidden && results.length) {
            choose(0);
          }
        }
        return;
      }
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Escape") {
        close();
      }
    });

    box.addEventListener("blur", close);
    return { close: close };
  }

  function makeBox(input) {
    var box = document.createElement("input");
    box.type = "text";
    box.className = input.className;
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (input.hasAttribute(name)) box.setAttribute(name, input.getAttribute(name));
    });
    box.placeholder = input.dataset.placeholder || "";
    return box;
  }

  function enhanceMultiple(input) {
    var url = input.dataset.picker;
    var id = input.id;
    var box = makeBox(input);
    box.id = id;
    var chips = document.createElement("div");
    chips.className = "picker-chips d-flex flex-wrap gap-1 mb-1";
    input.parentNode.insertBefore(chips, input);
    input.parentNode.insertBefore(box, input);
    input.id = id + "_value";
    input.type = "hidden";
    var chosen = [];

    function sync() {
      input.value = chosen.map(function (c) { return c.id; }).join(",");
    }

    function addChip(result) {
      if (chosen.some(function (c) { return String(c.id) === String(result.id); })) return;
      chosen.push(result);
      var chip = document.createElement("span");
      chip.className = "badge text-bg-light border d-inline-flex align-items-center gap-1 picker-chip";
      var text = document.createElement("span");
      text.textContent = result.label;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn-close btn-close-sm";
      remove.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: result.label }, true));
      remove.addEventListener("click", function () {
        chosen = chosen.filter(function (c) { return c !== result; });
        chip.remove();
        sync();
        box.focus();
      });
      chip.appendChild(text);
      chip.appendChild(remove);
      chips.appendChild(chip);
      sync();
    }

    combobox(box, {
      url: url,
      choose: function (result) {
        addChip(result);
        box.value = "";
      },
    });
    var known = [];
    try {
      known = JSON.parse(input.dataset.labels || "[]");
    } catch (error) {
      known = [];
    }
    known.forEach(addChip);
  }

  function enhance(input) {
    if (input.dataset.pickerReady) return;
    input.dataset.pickerReady = "true";
    if (input.dataset.pickerMultiple) {
      enhanceMultiple(input);
      return;
    }
    var url = input.dataset.picker;
    var id = input.id;
    var box = makeBox(input);
    box.id = id;
    input.parentNode.insertBefore(box, input);
    input.id = id + "_value";
    input.type = "hidden";
    combobox(box, {
      url: url,
      choose: function (result) {
        input.value = result.id;
        box.value = result.label;
      },
      typed: function () {
        input.value = "";
      },
      // Text with no record chosen for it: a name typed but not chosen, or
      // the chosen name edited (which emptied the field).
      pending: function () {
        return box.value.trim() !== "" && !input.value;
      },
    });
    // The wrapper now holds the box; keep the hidden input beside it.
    box.parentNode.appendChild(input);

    if (input.value) {
      box.value = input.dataset.label || input.value;
      if (!input.dataset.label) {
        fetchResults(url, { id: input.value }).then(function (results) {
          if (results.length) box.value = results[0].label;
        });
      }
    }
  }

  window.Hamkor = window.Hamkor || {};
  window.Hamkor.combobox = combobox;
  window.Hamkor.enhancePicker = enhance;
  window.Hamkor.interpolate = interpolate;

  document.querySelectorAll("input[data-picker]").forEach(function (input) {
    if (!input.closest("template")) enhance(input);
  });
})();
