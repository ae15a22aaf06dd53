/* casd report: search, the source pages' popovers, the timeline's filters, the network's highlight.
   Vanilla JavaScript, no libraries, no requests: the search index comes in by a <script> tag, so
   every page works when opened from disk (file://). */
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* ---- search by name and id ---- */
  function setupSearch() {
    var form = document.getElementById("search-form");
    var input = document.getElementById("q");
    var list = document.getElementById("q-results");
    if (!form || !input || !list) { return; }
    var index = window.CASD_INDEX || [];
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var first = list.querySelector("a");
      if (first) { window.location.href = first.getAttribute("href"); }
    });
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
    function run() {
      var q = input.value.trim().toLowerCase();
      list.textContent = "";
      if (!q) { close(); return; }
      var words = q.split(/\s+/);
      var hits = [];
      index.forEach(function (entry) {
        var hay = (entry[0] + " " + entry[2] + " " + entry[1] + " " + entry[4]).toLowerCase();
        if (words.every(function (w) { return hay.indexOf(w) !== -1; })) {
          var score = entry[2] === q ? 0 : entry[0].toLowerCase().indexOf(q) === 0 ? 1 : entry[2].indexOf(q) === 0 ? 2 : 3;
          hits.push([score, entry[0].toLowerCase(), entry]);
        }
      });
      hits.sort(function (a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); });
      hits.slice(0, 25).forEach(function (h) {
        var li = el("li");
        var a = el("a", { href: root + h[2][3] }, h[2][0]);
        a.appendChild(el("span", { "class": "t" }, h[2][1] + " · " + h[2][2]));
        li.appendChild(a);
        list.appendChild(li);
      });
      if (!hits.length) { list.appendChild(el("li", { "class": "empty" }, "No record matches.")); }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        var first = list.querySelector("a");
        if (first) { e.preventDefault(); first.focus(); }
      } else if (e.key === "Escape") { close(); }
    });
    list.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); if (i > 0) { links[i - 1].focus(); } else { input.focus(); } }
      else if (e.key === "Escape") { close(); input.focus(); }
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) { close(); } });
  }

  /* ---- source pages: which records a highlighted span supports ---- */
  function setupSource() {
    var text = document.getElementById("text");
    var pop = document.getElementById("pop");
    var dataNode = document.getElementById("ev-data");
    if (!text || !pop || !dataNode) { return; }
    var data = JSON.parse(dataNode.textContent);
    var current = null;
    var pinned = false;
    var timer = null;
    var quiet = false;

    function keysOf(mark) { return (mark.getAttribute("data-ev") || "").split(" ").filter(Boolean); }
    function marksWith(key) {
      return Array.prototype.filter.call(text.querySelectorAll("mark.ev"), function (m) { return keysOf(m).indexOf(key) !== -1; });
    }
    function clearHl() {
      Array.prototype.forEach.call(text.querySelectorAll("mark.hl"), function (m) { m.classList.remove("hl"); });
    }
    function hide() {
      clearTimeout(timer);
      if (current) { current.setAttribute("aria-expanded", "false"); }
      pop.hidden = true;
      pinned = false;
      current = null;
      clearHl();
    }
    function show(mark, pin) {
      clearTimeout(timer);
      if (current && current !== mark) { current.setAttribute("aria-expanded", "false"); }
      current = mark;
      pinned = pinned || !!pin;
      clearHl();
      var keys = keysOf(mark);
      pop.textContent = "";
      var close = el("button", { type: "button", "class": "close", "aria-label": "Close" }, "×");
      close.addEventListener("click", function () {
        var m = current;
        hide();
        if (m) { quiet = true; m.focus(); setTimeout(function () { quiet = false; }, 0); }
      });
      pop.appendChild(close);
      pop.appendChild(el("h2", {}, keys.length === 1 ? "This passage supports" : "This passage supports " + keys.length + " records"));
      var ul = el("ul");
      keys.forEach(function (k) {
        var d = data[k];
        if (!d) { return; }
        var li = el("li");
        li.appendChild(el("a", { href: root + d[3] + "#" + k, "class": "rec" }, d[2]));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", { "class": "tbl" }, d[0]));
        if (d[4]) { li.appendChild(el("span", { "class": "meta" }, " supports " + d[4])); }
        ul.appendChild(li);
        marksWith(k).forEach(function (m) { m.classList.add("hl"); });
      });
      pop.appendChild(ul);
      mark.setAttribute("aria-expanded", "true");
      mark.parentNode.insertBefore(pop, mark.nextSibling);
      pop.hidden = false;
      var box = text.getBoundingClientRect();
      var rects = mark.getClientRects();
      var r = rects.length ? rects[rects.length - 1] : mark.getBoundingClientRect();
      var left = Math.max(0, Math.min(r.left - box.left, box.width - pop.offsetWidth));
      pop.style.left = left + "px";
      pop.style.top = (r.bottom - box.top + 6) + "px";
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(function () { if (!pinned) { hide(); } }, 350);
    }
    text.addEventListener("mouseover", function (e) {
      var m = e.target.closest ? e.target.closest("mark.ev") : null;
      if (m && !pinned) { show(m, false); }
      if (pop.contains(e.target)) { clearTimeout(timer); }
    });
    text.addEventListener("mouseout", function (e) {
      var m = e.target.closest ? e.target.closest("mark.ev, .pop") : null;
      if (m && !pinned) { later(); }
    });
    text.addEventListener("click", function (e) {
      var m = e.target.closest ? e.target.closest("mark.ev") : null;
      if (m) { if (pinned && current === m) { hide(); } else { pinned = true; show(m, true); } }
    });
    text.addEventListener("focusin", function (e) {
      if (quiet) { quiet = false; return; }
      if (e.target.matches && e.target.matches("mark.ev")) { show(e.target, pinned); }
      if (pop.contains(e.target)) { clearTimeout(timer); }
    });
    text.addEventListener("focusout", function () {
      setTimeout(function () {
        var a = document.activeElement;
        if (!text.contains(a)) { hide(); }
      }, 0);
    });
    text.addEventListener("keydown", function (e) {
      var m = e.target.matches && e.target.matches("mark.ev") ? e.target : null;
      if (m && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        pinned = true;
        show(m, true);
        var first = pop.querySelector("a");
        if (first) { first.focus(); }
      } else if (e.key === "Escape" && current) {
        var back = current;
        hide();
        quiet = true;  /* back on the span, the records stay closed */
        back.focus();
        setTimeout(function () { quiet = false; }, 0);
      }
    });
    document.addEventListener("click", function (e) {
      if (pinned && !text.contains(e.target)) { hide(); }
    });
    function target() {
      Array.prototype.forEach.call(text.querySelectorAll("mark.target"), function (m) { m.classList.remove("target"); });
      var key = decodeURIComponent(window.location.hash.slice(1));
      if (key.indexOf("q-") !== 0) { return; }
      var marks = marksWith(key);
      marks.forEach(function (m) { m.classList.add("target"); });
      if (marks.length) {
        quiet = true;
        marks[0].focus({ preventScroll: true });
        setTimeout(function () { quiet = false; }, 0);
      }
    }
    window.addEventListener("hashchange", target);
    target();
  }

  /* ---- the timeline: filter by kind and by actor ---- */
  function setupTimeline() {
    var svg = document.getElementById("tl");
    var kind = document.getElementById("f-kind");
    var actor = document.getElementById("f-actor");
    if (!svg || !kind || !actor) { return; }
    var rowH = parseFloat(svg.getAttribute("data-row-h"));
    var top = parseFloat(svg.getAttribute("data-top"));
    var rows = Array.prototype.slice.call(svg.querySelectorAll("g.ev-row"));
    var undated = Array.prototype.slice.call(document.querySelectorAll("#undated li"));
    var count = document.getElementById("f-count");
    var width = svg.getAttribute("width");
    function keep(node) {
      var k = kind.value, a = actor.value;
      return (!k || node.getAttribute("data-kind") === k) && (!a || (" " + node.getAttribute("data-actors") + " ").indexOf(" " + a + " ") !== -1);
    }
    function apply(push) {
      var shown = 0;
      rows.forEach(function (g) {
        if (keep(g)) {
          g.removeAttribute("display");
          g.setAttribute("transform", "translate(0 " + (top + shown * rowH) + ")");
          shown += 1;
        } else { g.setAttribute("display", "none"); }
      });
      var height = top + Math.max(shown, 1) * rowH + 26;
      svg.setAttribute("height", height);
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
      Array.prototype.forEach.call(svg.querySelectorAll(".grid line"), function (l) { l.setAttribute("y2", height - 22); });
      var bottom = svg.querySelector(".ticks.bottom");
      if (bottom) { bottom.setAttribute("transform", "translate(0 " + (height - 8) + ")"); }
      var off = 0;
      undated.forEach(function (li) { var k = keep(li); li.hidden = !k; if (k) { off += 1; } });
      count.textContent = shown + " dated and " + off + " undated events" + (kind.value || actor.value ? " match" : "");
      if (push) {
        var parts = [];
        if (kind.value) { parts.push("kind=" + encodeURIComponent(kind.value)); }
        if (actor.value) { parts.push("actor=" + encodeURIComponent(actor.value)); }
        try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : window.location.pathname); } catch (err) { /* some browsers refuse on file:// */ }
      }
    }
    function fromHash() {
      window.location.hash.slice(1).split("&").forEach(function (p) {
        var kv = p.split("=");
        var v = decodeURIComponent(kv[1] || "");
        var sel = kv[0] === "kind" ? kind : kv[0] === "actor" ? actor : null;
        if (sel && Array.prototype.some.call(sel.options, function (o) { return o.value === v; })) { sel.value = v; }
      });
    }
    kind.addEventListener("change", function () { apply(true); });
    actor.addEventListener("change", function () { apply(true); });
    document.getElementById("f-reset").addEventListener("click", function () { kind.value = ""; actor.value = ""; apply(true); });
    window.addEventListener("hashchange", function () { fromHash(); apply(false); });
    fromHash();
    apply(false);
  }

  /* ---- the network: an actor's links on hover and focus ---- */
  function setupNetwork() {
    var svg = document.getElementById("net");
    if (!svg) { return; }
    var lines = Array.prototype.slice.call(svg.querySelectorAll(".edges line"));
    var nodes = Array.prototype.slice.call(svg.querySelectorAll(".node"));
    function on(id) {
      var near = {};
      near[id] = true;
      lines.forEach(function (l) {
        var hit = l.getAttribute("data-a") === id || l.getAttribute("data-b") === id;
        l.classList.toggle("on", hit);
        if (hit) { near[l.getAttribute("data-a")] = true; near[l.getAttribute("data-b")] = true; }
      });
      nodes.forEach(function (n) { n.classList.toggle("on", !!near[n.getAttribute("data-id")]); });
      svg.classList.add("focus");
    }
    function off() { svg.classList.remove("focus"); }
    nodes.forEach(function (n) {
      var id = n.getAttribute("data-id");
      n.addEventListener("mouseenter", function () { on(id); });
      n.addEventListener("focus", function () { on(id); });
      n.addEventListener("mouseleave", off);
      n.addEventListener("blur", off);
    });
  }

  setupSearch();
  setupSource();
  setupTimeline();
  setupNetwork();
})();
