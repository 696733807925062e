// Sorting and filtering of the report's tables; without JavaScript the tables show in full.
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return numeric ? -Infinity : "";
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (!numeric) return raw.trim().toLowerCase();
    var number = parseFloat(raw);
    return isNaN(number) ? -Infinity : number;
  }

  function sortBy(table, header) {
    var index = header.cellIndex;
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, position) {
      return { row: row, key: cellKey(row, index, numeric), position: position };
    });
    keyed.sort(function (a, b) {
      if (a.key < b.key) return ascending ? -1 : 1;
      if (a.key > b.key) return ascending ? 1 : -1;
      return a.position - b.position;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.tabIndex = 0;
      header.title = "Sort by this column";
      header.addEventListener("click", function () { sortBy(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, header);
        }
      });
    });
  }

  function makeFilterable(controls) {
    var table = document.getElementById(controls.getAttribute("data-table"));
    var search = controls.querySelector("input[type=search]");
    var selects = controls.querySelectorAll("select");
    var counter = controls.querySelector(".count");
    var exact = null;  // an EvseID chosen from the EVSE table: that EVSE only
    function apply() {
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      var rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var visible = true;
        for (var s = 0; s < selects.length && visible; s++) {
          var wanted = selects[s].value;
          visible = !wanted || row.getAttribute("data-" + selects[s].name) === wanted;
        }
        if (visible && exact !== null) {
          visible = row.getAttribute("data-evse") === exact;
        }
        if (visible && words.length) {
          var text = row.textContent.toLowerCase();
          visible = words.every(function (word) { return text.indexOf(word) !== -1; });
        }
        row.hidden = !visible;
        if (visible) shown++;
      }
      counter.textContent = "showing " + shown.toLocaleString("en") + " of " +
        rows.length.toLocaleString("en");
    }
    search.addEventListener("input", function () {
      exact = null;
      apply();
    });
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", apply);
    });
    controls.hidden = false;
    controls.poicheckShow = function (evseId) {
      exact = evseId;
      search.value = evseId;
      Array.prototype.forEach.call(selects, function (select) { select.value = ""; });
      apply();
    };
    apply();
  }

  function showFindingsOf(evseId) {
    var controls = document.querySelector(".controls[data-table=findings-table]");
    if (!controls) return;
    controls.poicheckShow(evseId);
    document.getElementById("findings").scrollIntoView();
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll(".controls[data-table]").forEach(makeFilterable);
  document.querySelectorAll("button[data-evse]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      showFindingsOf(button.getAttribute("data-evse"));
    });
  });
  document.documentElement.setAttribute("data-ready", "true");
})();
