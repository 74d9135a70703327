// cuda-audit HTML report: tabs, sortable tables and the findings filter. No network, no eval,
// no innerHTML: the data is already in the page, escaped; this only shows, hides and reorders.
(function () {
  "use strict";

  // Tabs: a button with data-tab="ID" shows the panel with that id among its group's panels.
  document.querySelectorAll(".tabs").forEach(function (tabs) {
    var buttons = tabs.querySelectorAll("button[data-tab]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        buttons.forEach(function (b) {
          var panel = document.getElementById(b.getAttribute("data-tab"));
          var on = b === button;
          b.classList.toggle("active", on);
          if (panel) { panel.hidden = !on; }
        });
      });
    });
  });

  // Sortable tables: every th.sortable sorts the tbody by its column's data-sort values
  // (strings; numbers are zero-padded by the report so string order is numeric order).
  function sortKey(row, column) {
    var cell = row.cells[column];
    if (!cell) { return ""; }
    var key = cell.getAttribute("data-sort");
    return key === null ? cell.textContent : key;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var headers = table.querySelectorAll("th.sortable");
    headers.forEach(function (th) {
      th.addEventListener("click", function () {
        var column = th.cellIndex;
        var ascending = !th.classList.contains("asc");
        headers.forEach(function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(ascending ? "asc" : "desc");
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, i) { row.__order = i; });
        rows.sort(function (a, b) {
          var x = sortKey(a, column), y = sortKey(b, column);
          var c = x < y ? -1 : x > y ? 1 : a.__order - b.__order;
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // The findings filter: free text over path, symbol, library and snippet; category; library;
  // and one target's effort class.
  var table = document.getElementById("findings");
  if (!table || !table.tBodies[0]) { ready(); return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var text = document.getElementById("filter-text");
  var category = document.getElementById("filter-category");
  var library = document.getElementById("filter-library");
  var target = document.getElementById("filter-target");
  var effort = document.getElementById("filter-effort");
  var shown = document.getElementById("filter-count");
  var haystacks = rows.map(function (row) {
    return (row.getAttribute("data-search") || "").toLowerCase();
  });
  function apply() {
    var needle = text ? text.value.trim().toLowerCase() : "";
    var cat = category ? category.value : "";
    var lib = library ? library.value : "";
    var t = target ? target.value : "";
    var e = effort ? effort.value : "";
    var count = 0;
    rows.forEach(function (row, i) {
      var ok = (!needle || haystacks[i].indexOf(needle) !== -1) &&
        (!cat || row.getAttribute("data-category") === cat) &&
        (!lib || row.getAttribute("data-library") === lib) &&
        (!e || !t || row.getAttribute("data-effort-" + t) === e);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    if (shown) { shown.textContent = String(count); }
  }
  [text, category, library, target, effort].forEach(function (el) {
    if (el) {
      el.addEventListener("input", apply);
      el.addEventListener("change", apply);
    }
  });
  apply();
  ready();

  // Marks the page as fully scripted (the browser test looks for it).
  function ready() { document.documentElement.setAttribute("data-ready", "true"); }
})();
