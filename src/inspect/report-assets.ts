// The HTML report's style and script, inlined into the page (it must work from a file, offline).
// Plain browser JavaScript over the JSON in <script id="data"> (see report-data.ts).

export const REPORT_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,"DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d2330;background:#f4f5f8}
header{padding:18px 28px 6px}
h1{margin:0;font-size:22px}
h2{margin:0 0 8px;font-size:16px}
.meta{color:#6b7280;font:12px ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
.cards{display:flex;gap:12px;padding:10px 28px;flex-wrap:wrap}
.card{background:#fff;border-radius:8px;padding:10px 16px;min-width:150px;box-shadow:0 1px 2px #0001}
.card .k{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:600}
.card .sub{color:#6b7280;font-size:12px}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:16px;padding:6px 28px 28px;align-items:start}
main section{background:#fff;border-radius:8px;padding:14px 16px;margin-bottom:16px;box-shadow:0 1px 2px #0001;overflow-x:auto}
.hint,.muted{color:#6b7280}
.hint{margin:-4px 0 8px;font-size:12px}
.treemap-box svg{width:100%;height:auto;display:block}
.treemap .pkg{cursor:pointer}
.treemap .pkg:hover>rect:first-of-type{filter:brightness(1.1)}
.treemap .pkg.selected>rect:first-of-type{stroke:#111;stroke-width:3}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:#6b7280;font-weight:500;border-bottom:1px solid #e5e7eb;padding:4px 8px}
td{border-bottom:1px solid #f0f1f4;padding:4px 8px;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.path,.digest{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
tr[data-package]{cursor:pointer}
tr[data-package]:hover{background:#f5f7ff}
tr.selected{background:#e8edff}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
td.bar{width:22%}
td.bar span{display:block;height:10px;border-radius:2px;min-width:1px}
.pkgs a{font-size:12px;margin-right:6px;color:#3b5bdb;text-decoration:none}
.graph{overflow:auto;max-height:640px}
.graph svg{max-width:100%;height:auto}
.graph .node,.graph [data-package]{cursor:pointer}
.graph .selected polygon,.graph .selected ellipse,.graph .selected rect{stroke:#111;stroke-width:3}
aside{position:sticky;top:12px;background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 2px #0001;max-height:calc(100vh - 24px);overflow:auto}
aside .empty{color:#6b7280}
aside h3{margin:0;font-size:18px;display:flex;align-items:center}
aside .ver{color:#6b7280;font-size:13px;margin-bottom:10px}
aside dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0 0 12px}
aside dt{color:#6b7280}
aside dd{margin:0}
aside .why{margin:0 0 12px;padding:8px 10px;background:#f6f7fb;border-radius:6px;font-size:13px}
aside .why a,aside .deps a{color:#3b5bdb;text-decoration:none}
aside .deps{font-size:13px;margin-bottom:12px}
aside h4{margin:10px 0 4px;font-size:13px;color:#374151}
aside table{font-size:12px}
`;

export const REPORT_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  var panel = document.getElementById("detail");
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function bytes(n) {
    if (n < 1000) return n + " B";
    var u = ["kB", "MB", "GB", "TB"], i = -1;
    while (n >= 999.95 && i < u.length - 1) { n /= 1000; i++; }
    return n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0) + " " + u[i];
  }
  function link(name) {
    return el("a", { href: "#", "data-package": name }, name);
  }
  function list(parent, names) {
    names.forEach(function (n, i) {
      if (i) parent.appendChild(document.createTextNode(", "));
      parent.appendChild(data.packages[n] ? link(n) : document.createTextNode(n));
    });
    if (!names.length) parent.appendChild(document.createTextNode("none"));
  }
  function select(name) {
    var p = data.packages[name];
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    document.querySelectorAll('[data-package="' + CSS.escape(name) + '"]').forEach(function (e) {
      if (e.tagName !== "A") e.classList.add("selected");
    });
    graphNodes().forEach(function (g) { if (g.name === name) g.node.classList.add("selected"); });
    panel.innerHTML = "";
    if (!p) {
      panel.appendChild(el("h3", {}, name));
      panel.appendChild(el("div", { class: "ver" }, data.leftOut[name] || ""));
      panel.appendChild(el("p", {}, "Left out: in the definition's Depends closure, but nothing in the image uses it, so it takes no space."));
      return;
    }
    var h = el("h3");
    h.appendChild(el("span", { class: "swatch", style: "background:" + p.colour }));
    h.appendChild(document.createTextNode(p.name));
    panel.appendChild(h);
    panel.appendChild(el("div", { class: "ver" }, p.version));
    var dl = el("dl");
    [["size", bytes(p.size)], ["files", String(p.fileCount)], ["layer", p.layers.join(", ") || "–"]].forEach(function (kv) {
      dl.appendChild(el("dt", {}, kv[0]));
      dl.appendChild(el("dd", { "data-field": kv[0] }, kv[1]));
    });
    panel.appendChild(dl);
    panel.appendChild(el("h4", {}, "Why it is here"));
    var why = el("div", { class: "why" });
    if (p.why.length <= 1) why.textContent = data.roots.indexOf(p.name) >= 0 ? "Asked for: it is a root of the image." : "Nothing installed depends on it.";
    else p.why.forEach(function (n, i) {
      if (i) why.appendChild(document.createTextNode(" → "));
      why.appendChild(i === p.why.length - 1 ? el("b", {}, n) : link(n));
    });
    panel.appendChild(why);
    var deps = el("div", { class: "deps" });
    deps.appendChild(el("b", {}, "depends on: "));
    list(deps, p.dependsOn);
    deps.appendChild(el("br"));
    deps.appendChild(el("b", {}, "required by: "));
    list(deps, p.requiredBy);
    panel.appendChild(deps);
    panel.appendChild(el("h4", {}, "Files" + (p.fileCount > p.files.length ? " (largest " + p.files.length + " of " + p.fileCount + ")" : "")));
    var t = el("table", { class: "files" });
    p.files.forEach(function (f) {
      var tr = el("tr");
      tr.appendChild(el("td", { class: "n" }, bytes(f[1])));
      tr.appendChild(el("td", { class: "path" }, f[0]));
      t.appendChild(tr);
    });
    panel.appendChild(t);
  }
  // A graph drawn by Graphviz names each node in its <title>; one drawn otherwise may say data-package.
  function graphNodes() {
    return Array.prototype.map.call(document.querySelectorAll(".graph g.node"), function (g) {
      var t = g.querySelector("title");
      return { node: g, name: g.getAttribute("data-package") || (t ? t.textContent.trim() : "") };
    });
  }
  // Fit a wide graph to the page, but not so small that its labels cannot be read: scroll instead.
  document.querySelectorAll(".graph svg").forEach(function (svg) {
    var natural = svg.width && svg.width.baseVal ? svg.width.baseVal.value : 0;
    var room = svg.parentElement.clientWidth;
    if (natural && room && room / natural < 0.75) {
      svg.style.maxWidth = "none";
      svg.style.width = Math.round(natural * 0.75) + "px";
    }
  });
  document.addEventListener("click", function (ev) {
    var target = ev.target;
    var tagged = target.closest("[data-package]");
    var name = tagged ? tagged.getAttribute("data-package") : "";
    if (!name) {
      var node = target.closest(".graph g.node");
      var t = node && node.querySelector("title");
      name = t ? t.textContent.trim() : "";
    }
    if (name && (data.packages[name] || data.leftOut[name] !== undefined)) {
      ev.preventDefault();
      select(name);
    }
  });
})();
`;
