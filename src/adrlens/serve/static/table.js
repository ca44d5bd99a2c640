// Sortable screening tables (table.sortable): each sortable heading becomes a button that sorts the rows of
// this page in place and sets aria-sort; without script the heading stays a link that asks the server to sort
// the whole table. When the table has more rows than this page, a status line offers that link too.
(function () {
  "use strict";

  var NEXT = { ascending: "descending", descending: "ascending" };

  function value(row, i, kind) {
    var raw = row.cells[i].getAttribute("data-value");
    if (raw === null || raw === "") return null; // missing values sort last either way
    if (kind === "num") {
      var f = parseFloat(raw);
      return isNaN(f) ? null : f;
    }
    return raw.toLowerCase();
  }

  function sortBy(table, th, index) {
    var kind = th.getAttribute("data-kind");
    var now = th.getAttribute("aria-sort");
    var dir = NEXT[now] || (kind === "num" ? "descending" : "ascending");
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, n) {
      return { row: r, key: value(r, index, kind), n: n };
    });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) return a.key === b.key ? a.n - b.n : a.key === null ? 1 : -1;
      if (a.key < b.key) return -sign;
      if (a.key > b.key) return sign;
      return a.n - b.n;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].hasAttribute("aria-sort")) heads[i].setAttribute("aria-sort", heads[i] === th ? dir : "none");
    }
    announce(table, th, dir, rows.length);
  }

  function announce(table, th, dir, shown) {
    var status = document.getElementById(table.getAttribute("data-status"));
    if (!status) return;
    var name = th.textContent.trim();
    var words = th.getAttribute("data-kind") === "num"
      ? (dir === "descending" ? "highest first" : "lowest first")
      : (dir === "ascending" ? "A to Z" : "Z to A");
    status.textContent = "This page is sorted by " + name + ", " + words + ". ";
    var total = Number(table.getAttribute("data-total") || 0);
    var href = th.getAttribute("data-server-href");
    if (total > shown && href) {
      var url = new URL(href, window.location.href);
      url.searchParams.set("order", dir === "descending" ? "desc" : "asc");
      var a = document.createElement("a");
      a.href = url.pathname + url.search;
      a.textContent = "Sort all " + total.toLocaleString("en") + " rows this way";
      status.appendChild(a);
    }
  }

  function init(table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      if (!th.hasAttribute("aria-sort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-btn";
      var link = th.querySelector("a.sort-link");
      var from = link || th;
      while (from.firstChild) button.appendChild(from.firstChild);
      if (link) link.remove();
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
