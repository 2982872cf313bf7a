/*
 * Search-as-you-type pickers for filter fields that hold the id of a record
 * (an organisation, person, meeting or topic): see PickerInput in
 * core/forms.py.
 *
 * Without JavaScript the field is a plain text input for the id. With it, the
 * input becomes a hidden field and a combobox is shown in its place: typing two
 * letters asks the field's `data-picker` URL for matches (?q=), and choosing one
 * puts its id in the hidden field. The label of an id already in the field is
 * fetched with ?id=. Keyboard: arrows move, Enter chooses, Escape closes.
 */
(function () {
  "use strict";

  var DELAY_MS = 200;
  var MIN_LENGTH = 2;

  function fetchResults(url, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + "?" + query, {
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

  function enhance(input) {
    var url = input.dataset.picker;
    var id = input.id;
    var listId = id + "_listbox";

    var box = document.createElement("input");
    box.type = "text";
    box.id = id;
    box.className = input.className;
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", listId);
    box.setAttribute("autocomplete", "off");
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (input.hasAttribute(name)) box.setAttribute(name, input.getAttribute(name));
    });
    box.placeholder = input.dataset.placeholder || "";

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;

    var wrapper = document.createElement("div");
    wrapper.className = "picker";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(box);
    wrapper.appendChild(list);
    wrapper.appendChild(input);
    input.id = id + "_value";
    input.type = "hidden";

    var options = [];
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
      var option = options[index];
      if (!option) return;
      input.value = option.id;
      box.value = option.label;
      close();
    }

    function show(results) {
      options = results;
      list.textContent = "";
      results.forEach(function (result, index) {
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
      list.hidden = results.length === 0;
      box.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    box.addEventListener("input", function () {
      input.value = "";
      clearTimeout(timer);
      var term = box.value.trim();
      if (term.length < MIN_LENGTH) {
        show([]);
        return;
      }
      timer = setTimeout(function () {
        var mine = ++request;
        fetchResults(url, { q: term }).then(function (results) {
          if (mine === request) show(results);
        });
      }, DELAY_MS);
    });

    box.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        close();
      }
    });

    box.addEventListener("blur", close);

    if (input.value) {
      box.value = input.value;
      fetchResults(url, { id: input.value }).then(function (results) {
        if (results.length) box.value = results[0].label;
      });
    }
  }

  document.querySelectorAll("input[data-picker]").forEach(enhance);
})();
