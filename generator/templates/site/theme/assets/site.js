/* The internal site's one script (the plugin adds it to every page): it labels the cells of every record table
   with their column headers, so that on a phone site.css can show each row as a block of "header: value" lines.
   It writes only attributes (data-label, data-kb-stack), copied from the page's own header text: nothing is parsed or
   run. Without it, tables stay tables. */
(function () {
  "use strict";

  // Tables of this many columns or more are stacked on a phone; two columns still fit side by side.
  var STACK_FROM_COLUMNS = 3;

  function headersOf(table) {
    var row = table.tHead && table.tHead.rows[0];
    if (!row) return null;
    return Array.prototype.map.call(row.cells, function (cell) {
      return cell.textContent.replace(/\s+/g, " ").trim();
    });
  }

  function labelTable(table) {
    var headers = headersOf(table);
    if (!headers || headers.length < STACK_FROM_COLUMNS) return;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, index) {
          cell.setAttribute("data-label", headers[index] || "");
        });
      });
    });
    table.setAttribute("data-kb-stack", "");
  }

  function labelTables() {
    Array.prototype.forEach.call(
      document.querySelectorAll(".md-content .md-typeset table:not([class]):not([data-kb-stack])"),
      labelTable
    );
  }

  // Material's instant navigation (if a knowledge base turns it on) swaps pages without a load: follow it.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(labelTables);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelTables);
  } else {
    labelTables();
  }
})();
