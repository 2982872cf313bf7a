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
   * option is chosen when `enterFirst`), extra(term, results) to add options.
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

    function choose(index) {
      var result = results[index];
      if (!result) return;
      close();
      options.choose(result);
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
