(function () {
  "use strict";
  // All data is shown with textContent: no string from the data is ever parsed as HTML.
  var D = JSON.parse(document.getElementById("review-data").textContent);
  var P = D.patients;
  var bandIndex = {}, bandInfo = {};
  D.bands.forEach(function (b, i) { bandIndex[b.name] = i; bandInfo[b.name] = b; });
  var S = D.survival;  // a time-to-event model: risks by several horizons and a curve per patient
  var state = { key: "p", dir: -1, band: "", search: "", filters: {}, view: [], current: -1 };

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function pct(p) { return (100 * p).toFixed(1) + "%"; }
  function colour(band) { return bandInfo[band] ? bandInfo[band].colour : "#455a64"; }
  function chip(band) {
    var c = el("span", band || "—", "band-chip");
    c.style.setProperty("--band", colour(band));
    return c;
  }

  // ------------------------------------------------------------------ columns
  var columns = [
    { key: "id", label: "Patient ID", value: function (p) { return p.id; }, cls: "pid" },
    { key: "p", label: S ? "Risk by " + S.band_horizon_label : "Predicted risk", value: function (p) { return p.p; }, cls: "num" },
    { key: "band", label: "Band", value: function (p) { return bandIndex[p.band] === undefined ? -1 : bandIndex[p.band]; } },
    { key: "reason", label: "Main reason", value: function (p) { return p.reasons.length ? p.reasons[0].short : ""; } }
  ];
  if (S) {
    var at = 2;  // after the band-horizon risk, before the band (as row() inserts the cells)
    S.horizons.forEach(function (h, j) {
      if (h.band) { return; }  // the band horizon's risk is the "p" column
      columns.splice(at++, 0, { key: "h:" + j, label: "Risk by " + h.label, cls: "num",
        value: function (p) { return p.horizon_risks[j]; } });
    });
  }
  D.filters.forEach(function (f) {
    columns.push({ key: "f:" + f.field, label: f.short, value: function (p) { return p.filters[f.field] || ""; } });
  });
  columns.push({ key: "flags", label: "Data flags", value: function (p) { return p.missing.length + p.implausible.length; }, cls: "num" });

  function compare(a, b) {
    var col = columns.filter(function (c) { return c.key === state.key; })[0];
    var va = col.value(a), vb = col.value(b), r;
    if (typeof va === "number" && typeof vb === "number") { r = va - vb; }
    else { r = String(va).localeCompare(String(vb), undefined, { numeric: true, sensitivity: "base" }); }
    r = state.dir * r;
    if (r === 0) { r = b.p - a.p; }  // ties: higher risk first, then by id
    return r || a.id.localeCompare(b.id);
  }

  // ------------------------------------------------------------------ controls
  function options(select, values, counts) {
    values.forEach(function (v) {
      var o = el("option", counts ? v + " (" + (counts[v] || 0) + ")" : v);
      o.value = v;
      select.appendChild(o);
    });
  }
  function countBy(fn) {
    var out = {};
    P.forEach(function (p) { var k = fn(p); out[k] = (out[k] || 0) + 1; });
    return out;
  }
  var bandCounts = countBy(function (p) { return p.band; });
  options($("filter-band"), D.bands.map(function (b) { return b.name; }).slice().reverse(), bandCounts);
  D.filters.forEach(function (f) {
    var label = el("label", f.short + " ");
    label.title = f.label;
    var s = el("select");
    s.id = "filter-" + f.field;
    var all = el("option", "all");
    all.value = "";
    s.appendChild(all);
    var counts = countBy(function (p) { return p.filters[f.field] || "(missing)"; });
    options(s, Object.keys(counts).sort(), counts);
    s.addEventListener("change", function () { state.filters[f.field] = s.value; render(); });
    label.appendChild(s);
    $("extra-filters").appendChild(label);
  });

  var counts = $("band-counts");
  D.bands.slice().reverse().forEach(function (b) {
    var c = el("span", null, "band-count");
    c.style.setProperty("--band", b.colour);
    c.appendChild(el("b", b.name));
    var n = bandCounts[b.name] || 0;
    c.appendChild(document.createTextNode(" " + n + (n === 1 ? " patient" : " patients") + " · " + b.meaning));
    counts.appendChild(c);
  });

  var head = $("patients-head");
  columns.forEach(function (c) {
    var th = el("th");
    th.dataset.key = c.key;
    th.setAttribute("scope", "col");
    var b = el("button", c.label);
    b.type = "button";
    b.addEventListener("click", function () {
      if (state.key === c.key) { state.dir = -state.dir; }
      else { state.key = c.key; state.dir = (c.key === "p" || c.key === "band" || c.key === "flags" || c.key.indexOf("h:") === 0) ? -1 : 1; }
      render();
    });
    th.appendChild(b);
    head.appendChild(th);
  });

  $("search").addEventListener("input", function (e) { state.search = e.target.value.trim().toLowerCase(); render(); });
  $("filter-band").addEventListener("change", function (e) { state.band = e.target.value; render(); });
  $("reset").addEventListener("click", function () {
    state.key = "p"; state.dir = -1; state.band = ""; state.search = ""; state.filters = {};
    $("search").value = "";
    document.querySelectorAll(".controls select").forEach(function (s) { s.value = ""; });
    render();
  });

  // ------------------------------------------------------------------ cohort table
  function visible(p) {
    if (state.band && p.band !== state.band) { return false; }
    if (state.search && p.id.toLowerCase().indexOf(state.search) < 0) { return false; }
    for (var f in state.filters) {
      if (state.filters[f] && (p.filters[f] || "(missing)") !== state.filters[f]) { return false; }
    }
    return true;
  }

  function row(p, i) {
    var tr = el("tr");
    tr.tabIndex = 0;
    tr.dataset.index = String(i);
    tr.appendChild(el("td", p.id, "pid"));
    var risk = el("td", pct(p.p), "num");
    var bar = el("span", null, "prob-bar");
    var fill = el("i");
    fill.style.width = Math.max(1, Math.round(100 * p.p)) + "%";
    bar.style.setProperty("--band", colour(p.band));
    bar.appendChild(fill);
    risk.appendChild(bar);
    tr.appendChild(risk);
    var band = el("td");
    band.appendChild(chip(p.band));
    tr.appendChild(band);
    if (S) {
      S.horizons.forEach(function (h, j) { if (!h.band) { tr.insertBefore(el("td", pct(p.horizon_risks[j]), "num"), band); } });
    }
    tr.appendChild(el("td", p.reasons.length ? p.reasons[0].short : ""));
    D.filters.forEach(function (f) { tr.appendChild(el("td", p.filters[f.field] || "")); });
    var flags = el("td");
    if (p.missing.length) { flags.appendChild(el("span", p.missing.length + " missing", "flag missing")); }
    if (p.implausible.length) { flags.appendChild(el("span", p.implausible.length + " implausible", "flag implausible")); }
    tr.appendChild(flags);
    return tr;
  }

  function render() {
    state.view = P.map(function (p, i) { return i; }).filter(function (i) { return visible(P[i]); });
    state.view.sort(function (a, b) { return compare(P[a], P[b]); });
    var body = $("patients-body");
    var frag = document.createDocumentFragment();
    state.view.forEach(function (i) { frag.appendChild(row(P[i], i)); });
    body.replaceChildren(frag);
    head.querySelectorAll("th").forEach(function (th) {
      if (th.dataset.key === state.key) { th.setAttribute("aria-sort", state.dir < 0 ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    $("shown-count").textContent = "Showing " + state.view.length + " of " + P.length +
      " patients, sorted by " + columns.filter(function (c) { return c.key === state.key; })[0].label.toLowerCase() +
      (state.dir < 0 ? " (highest first)" : " (lowest first)") + ".";
  }

  function openFromEvent(e) {
    var tr = e.target.closest("tr[data-index]");
    if (tr) { openPatient(Number(tr.dataset.index)); }
  }
  $("patients-body").addEventListener("click", openFromEvent);
  $("patients-body").addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openFromEvent(e); }
  });

  // ------------------------------------------------------------------ patient view
  function waterfall(reasons) {
    var list = $("pv-reasons");
    list.replaceChildren();
    $("pv-no-reasons").hidden = reasons.length > 0;
    var cum = 0, steps = [], lo = 0, hi = 0;
    reasons.forEach(function (r) {
      var d = r.weight === null ? 0 : r.weight;
      steps.push([cum, cum + d]);
      cum += d;
      lo = Math.min(lo, cum); hi = Math.max(hi, cum);
    });
    var span = (hi - lo) || 1;
    reasons.forEach(function (r, k) {
      var dir = r.direction.indexOf("raise") >= 0 ? "raises" : r.direction.indexOf("lower") >= 0 ? "lowers" : "";
      var li = el("li");
      li.appendChild(el("span", r.text, "wf-text " + dir));
      var track = el("span", null, "wf-track");
      var zero = el("span", null, "wf-zero");
      zero.style.left = (100 * (0 - lo) / span) + "%";
      var bar = el("span", null, "wf-bar " + dir);
      var a = Math.min(steps[k][0], steps[k][1]), b = Math.max(steps[k][0], steps[k][1]);
      bar.style.left = (100 * (a - lo) / span) + "%";
      bar.style.width = Math.max(0.5, 100 * (b - a) / span) + "%";
      track.appendChild(zero);
      track.appendChild(bar);
      li.appendChild(track);
      list.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ survival curve (SVG built from numbers)
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }
  function survival(p) {
    var body = $("pv-horizons");
    body.replaceChildren();
    S.horizons.forEach(function (h, j) {
      var tr = el("tr");
      tr.appendChild(el("td", "by " + h.label + (h.band ? " (bands are on this risk)" : "")));
      var td = el("td", pct(p.horizon_risks[j]) + " ", "num");
      if (h.band) { td.appendChild(chip(p.band)); }
      tr.appendChild(td);
      body.appendChild(tr);
    });
    var W = 340, H = 220, L = 44, R = 12, T = 12, B = 34;
    var tmax = S.times[S.times.length - 1] || 1;
    var top = Math.max(p.curve[p.curve.length - 1] || 0, S.cuts.length ? S.cuts[S.cuts.length - 1] : 0);
    var caps = [0.1, 0.2, 0.3, 0.5, 0.75, 1.0], ymax = 1.0;
    for (var c = 0; c < caps.length; c++) { if (top * 1.1 <= caps[c]) { ymax = caps[c]; break; } }
    function x(t) { return L + (W - L - R) * t / tmax; }
    function y(r) { return T + (H - T - B) * (1 - Math.min(r, ymax) / ymax); }
    var g = svg("svg", { viewBox: "0 0 " + W + " " + H, "class": "survival-curve", role: "img",
      "aria-label": "Predicted risk of " + D.model.outcome + " over time for this patient" });
    g.appendChild(svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fafbfc", stroke: "#c5ccd6" }));
    for (var k = 0; k <= 5; k++) {
      var v = ymax * k / 5;
      g.appendChild(svg("text", { x: L - 5, y: y(v) + 3, "font-size": 10, "text-anchor": "end" }, Math.round(100 * v) + "%"));
    }
    S.horizons.forEach(function (h) {
      g.appendChild(svg("line", { x1: x(h.years), y1: y(0), x2: x(h.years), y2: y(0) + 3, stroke: "#555" }));
      g.appendChild(svg("text", { x: x(h.years), y: y(0) + 15, "font-size": 10, "text-anchor": "middle" }, h.years + " y"));
    });
    S.cuts.forEach(function (cut, i) {
      if (cut >= ymax) { return; }
      var line = svg("line", { x1: L, y1: y(cut), x2: W - R, y2: y(cut), stroke: D.bands[i + 1] ? D.bands[i + 1].colour : "#888",
        "stroke-dasharray": "4 3", "class": "band-cut" });
      line.appendChild(svg("title", {}, "band limit " + pct(cut) + " (risk by " + S.band_horizon_label + ")"));
      g.appendChild(line);
    });
    var d = S.times.map(function (t, i) { return (i ? "L" : "M") + x(t).toFixed(1) + " " + y(p.curve[i]).toFixed(1); }).join(" ");
    g.appendChild(svg("path", { d: d, fill: "none", stroke: "#1f5fa8", "stroke-width": 2, "class": "curve" }));
    S.horizons.forEach(function (h, j) {
      var dot = svg("circle", { cx: x(h.years), cy: y(p.horizon_risks[j]), r: 3.6, fill: h.band ? colour(p.band) : "#1f5fa8",
        "class": "horizon-dot" });
      dot.appendChild(svg("title", {}, "risk by " + h.label + ": " + pct(p.horizon_risks[j])));
      g.appendChild(dot);
    });
    g.appendChild(svg("text", { x: L + (W - L - R) / 2, y: H - 4, "font-size": 11, "text-anchor": "middle" }, "years of follow-up"));
    g.appendChild(svg("text", { transform: "translate(11 " + (T + (H - T - B) / 2) + ") rotate(-90)", "font-size": 11,
      "text-anchor": "middle" }, "risk"));
    $("pv-curve").replaceChildren(g);
  }

  function inputs(p) {
    var body = $("pv-inputs");
    body.replaceChildren();
    $("pv-no-inputs").hidden = p.inputs.length > 0;
    p.inputs.forEach(function (r) {
      var tr = el("tr", null, r.implausible ? "implausible" : r.missing ? "missing" : "");
      tr.appendChild(el("td", r.label));
      tr.appendChild(el("td", r.missing ? "—" : r.value));
      tr.appendChild(el("td", r.unit));
      var st = el("td");
      if (r.missing) { st.appendChild(el("span", "missing", "flag missing")); }
      if (r.implausible) { st.appendChild(el("span", "implausible", "flag implausible")); }
      tr.appendChild(st);
      body.appendChild(tr);
    });
  }

  function flags(p) {
    var ul = $("pv-flags");
    ul.replaceChildren();
    var lab = function (xs) { return xs.map(function (x) { return x.label; }).join("; "); };
    if (p.missing.length) { ul.appendChild(el("li", "Missing (the model used its default for them): " + lab(p.missing))); }
    if (p.implausible.length) { ul.appendChild(el("li", "Implausible, please check the record: " + lab(p.implausible))); }
    p.warnings.forEach(function (w) { ul.appendChild(el("li", "Unlike the development cohort: " + w)); });
    if (!p.missing.length && !p.implausible.length && !p.warnings.length) { ul.appendChild(el("li", "No missing, implausible or unusual inputs.")); }
  }

  function published(p) {
    var body = $("pv-published");
    body.replaceChildren();
    if (!p.published.length) {
      var tr0 = el("tr");
      tr0.appendChild(el("td", "No published score is available."));
      body.appendChild(tr0);
    }
    p.published.forEach(function (s) {
      var tr = el("tr");
      var name = el("td");
      name.appendChild(el("div", s.name));
      name.appendChild(el("div", s.citation, "note"));
      tr.appendChild(name);
      tr.appendChild(el("td", s.points === undefined || s.points === null ? "—" : String(s.points), "num"));
      var note = s.note;
      if (!note && !s.original_points && s.published_cutoff !== null) {
        note = "Not on the original points scale: the published cut-off (" + s.published_cutoff + " points) does not apply.";
      }
      tr.appendChild(el("td", note || ""));
      body.appendChild(tr);
    });
  }

  function openPatient(i) {
    var p = P[i];
    state.current = i;
    $("pv-id").textContent = p.id;
    $("pv-p").textContent = pct(p.p);
    var band = $("pv-band");
    band.textContent = p.band;
    band.style.setProperty("--band", colour(p.band));
    var info = bandInfo[p.band];
    var base = D.model.base_rate === null ? "" : " For comparison, " + pct(D.model.base_rate) +
      " of the development cohort had the outcome.";
    $("pv-band-meaning").textContent = "Probability of " + D.model.outcome +
      (D.model.horizon ? ", " + D.model.horizon : "") + "." + base + " " + (info
      ? "Band \u201c" + p.band + "\u201d: " + info.meaning + ". " + info.observed
      : "Band \u201c" + p.band + "\u201d is not one of this model's bands.");
    if (S) { survival(p); }
    waterfall(p.reasons);
    flags(p);
    inputs(p);
    published(p);
    var pos = state.view.indexOf(i);
    $("prev").disabled = pos <= 0;
    $("next").disabled = pos < 0 || pos >= state.view.length - 1;
    $("cohort-view").hidden = true;
    $("patient-view").hidden = false;
    document.body.classList.add("printing-patient");
    $("back").focus();
  }

  function closePatient() {
    var i = state.current;
    $("patient-view").hidden = true;
    $("cohort-view").hidden = false;
    document.body.classList.remove("printing-patient");
    var tr = document.querySelector('#patients-body tr[data-index="' + i + '"]');
    if (tr) { tr.focus(); }
  }
  function step(d) {
    var pos = state.view.indexOf(state.current) + d;
    if (pos >= 0 && pos < state.view.length) { openPatient(state.view[pos]); }
  }
  $("back").addEventListener("click", closePatient);
  $("prev").addEventListener("click", function () { step(-1); });
  $("next").addEventListener("click", function () { step(1); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !$("patient-view").hidden) { closePatient(); }
  });
  window.addEventListener("beforeprint", function () { $("model-panel").open = true; });

  render();
  document.body.dataset.ready = "1";
})();
