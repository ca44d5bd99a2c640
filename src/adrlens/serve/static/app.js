// adrlens web app: the search box's autocomplete (an ARIA 1.2 combobox over /api/v1/suggest), and open
// folded sections for printing. A static file because the Content-Security-Policy forbids inline script.
//
// Autocomplete completes the words at the end of the box. It asks /api/v1/suggest for the last few words
// (longest tail first, then shorter), so "Can Norvasc cause pins and ne" finds "pins and needles" and
// "Can Norv" finds "Norvasc". Picking a suggestion replaces those words: a drug, brand or vaccine fills the
// drug words (and starts the question, "Can Norvasc cause "), a condition or lay term fills the condition
// words (and ends the question with "?"). Enter then asks it.
(function () {
  "use strict";

  var SUGGEST_URL = "/api/v1/suggest";
  var LIMIT = 8; // suggestions shown
  var MAX_TAIL_WORDS = 4; // the longest run of final words offered for completion
  var DELAY_MS = 120; // wait for a pause in typing
  var DRUG_KINDS = { drug: true, brand: true, vaccine: true };
  var KIND_WORDS = { brand: "brand of", vaccine: "vaccine:", "lay term": "everyday words for" };

  // What a suggestion stands for, beside it: "brand of amlodipine", "everyday words for Peripheral neuropathy".
  function describe(s) {
    var words = KIND_WORDS[s.kind];
    if (!words || String(s.means).toLowerCase() === String(s.text).toLowerCase()) return s.kind;
    return words + " " + s.means;
  }

  // The text with the picked name in place of the words it completes (see the comment at the top).
  function completed(before, s) {
    var words = before.trim() ? before.trim().split(/\s+/).length : 0;
    if (DRUG_KINDS[s.kind] && words <= 1) return (words ? before : "Can ") + s.text + " cause ";
    return before + s.text + (words ? "?" : "");
  }

  function Combo(input) {
    this.input = input;
    this.list = document.getElementById(input.getAttribute("aria-controls"));
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(this.status);
    this.items = [];
    this.start = 0; // where the completed words begin in the text
    this.active = -1;
    this.seq = 0; // the latest lookup; answers to older ones are dropped
    this.timer = 0;
    var self = this;
    input.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.lookup(); }, DELAY_MS);
    });
    input.addEventListener("keydown", function (e) { self.key(e); });
    input.addEventListener("blur", function () { self.close(); });
    this.list.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the focus in the box
    this.list.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) self.pick(Number(li.getAttribute("data-index")));
    });
  }

  // The runs of final words to complete, longest first; none until the last word has two letters (a text
  // ending in a space is a finished word: wait for the next one).
  Combo.prototype.tails = function (text) {
    var out = [];
    if (!/\S{2,}$/.test(text)) return out;
    var re = /\S+/g;
    var starts = [];
    var m;
    while ((m = re.exec(text)) !== null) starts.push(m.index);
    for (var k = Math.min(MAX_TAIL_WORDS, starts.length); k >= 1; k--) {
      var at = starts[starts.length - k];
      out.push({ start: at, words: text.slice(at) });
    }
    return out;
  };

  Combo.prototype.lookup = function () {
    var self = this;
    var text = this.input.value;
    var tails = this.tails(text);
    var seq = ++this.seq;
    if (!tails.length) { this.close(); return; }
    var next = function (i) {
      if (i >= tails.length) { if (seq === self.seq) self.close(); return; }
      var url = SUGGEST_URL + "?limit=" + LIMIT + "&q=" + encodeURIComponent(tails[i].words);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          if (seq !== self.seq) return;
          if (data.suggestions && data.suggestions.length) self.show(data.suggestions, tails[i].start);
          else next(i + 1);
        })
        .catch(function () { if (seq === self.seq) self.close(); });
    };
    next(0);
  };

  Combo.prototype.show = function (items, start) {
    this.items = items;
    this.start = start;
    this.active = -1;
    this.list.textContent = "";
    var base = this.list.id;
    items.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = base + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-index", String(i));
      li.setAttribute("data-kind", s.kind);
      var name = document.createElement("span");
      name.className = "opt-text";
      name.textContent = s.text; // textContent: a suggestion is never parsed as HTML
      var kind = document.createElement("span");
      kind.className = "opt-kind";
      kind.textContent = describe(s);
      li.appendChild(name);
      li.appendChild(kind);
      this.list.appendChild(li);
    }, this);
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.input.removeAttribute("aria-activedescendant");
    this.status.textContent = items.length + (items.length === 1 ? " suggestion" : " suggestions") +
      ": use the up and down arrows and Enter to pick one.";
  };

  Combo.prototype.close = function () {
    this.seq++;
    this.list.hidden = true;
    this.list.textContent = "";
    this.items = [];
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combo.prototype.move = function (to) {
    var n = this.items.length;
    if (!n) return;
    this.active = (to + n) % n;
    var options = this.list.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
    }
    var li = options[this.active];
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  };

  Combo.prototype.pick = function (i) {
    var s = this.items[i];
    if (!s) return;
    var value = completed(this.input.value.slice(0, this.start), s);
    this.input.value = value;
    this.close();
    this.input.focus();
    this.input.setSelectionRange(value.length, value.length);
    this.status.textContent = s.text + " chosen. " + (/\?$/.test(value) ? "Press Enter to ask." : "");
  };

  Combo.prototype.key = function (e) {
    var open = !this.list.hidden && this.items.length > 0;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (open) this.move(this.active + 1); else this.lookup();
    } else if (e.key === "ArrowUp") {
      if (open) { e.preventDefault(); this.move(this.active - 1); }
    } else if (e.key === "Enter") {
      if (open && this.active >= 0) { e.preventDefault(); this.pick(this.active); }
    } else if (e.key === "Escape") {
      if (open) { e.preventDefault(); this.close(); }
    } else if (e.key === "Tab") {
      this.close();
    }
  };

  // Printing: every folded section (the professional part, a trend) is printed open, then folded back.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  function start() {
    var boxes = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < boxes.length; i++) new Combo(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
