// The styles and the script of the report page, inlined into every page so that it needs
// nothing from the network. The script reads the page's JSON (<script id="sf-data">) and
// draws each plot as inline SVG into the <div class="plot"> of the same id; it uses no
// library. Each plot sets data-drawn="1" on its div when done, which the browser test counts.
#pragma once

namespace sf {

inline constexpr const char* kReportCss = R"CSS(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1240px; color: #1b1f24; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; margin: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cause { font-size: 12px; max-width: 420px; }
.defect { color: #b00020; font-weight: 600; }
.plot svg { background: #fff; border: 1px solid #e5e7eb; margin: 4px 8px 4px 0; }
.plot .caption { font-size: 12px; color: #57606a; }
code { font-size: 12px; }
)CSS";

inline constexpr const char* kReportScript = R"JS(
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("sf-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x: x, y: y, "font-size": 11, fill: "#333" }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function tip(node, s) { const t = el("title", {}, node); t.textContent = s; }
  function svg(div, w, h) { return el("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h }, div); }
  function fmtNum(v) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e-3 && a < 1e7) return v.toFixed(Math.max(0, 4 - (Math.floor(Math.log10(a)) + 1)));
    return v.toExponential(3);
  }
  function fmtInt(v) { return Math.round(v).toString(); }
  function fmtPj(v) {
    const a = Math.abs(v);
    if (a < 1e3) return v.toFixed(1) + " pJ";
    if (a < 1e6) return (v / 1e3).toFixed(2) + " nJ";
    if (a < 1e9) return (v / 1e6).toFixed(2) + " µJ";
    return (v / 1e9).toFixed(2) + " mJ";
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  // Axes with a few ticks; returns the scale functions.
  function axes(g, x0, y0, w, h, xmin, xmax, ymin, ymax, xlabel, ylabel, xfmt, yfmt) {
    const sx = v => x0 + (xmax > xmin ? (v - xmin) / (xmax - xmin) : 0.5) * w;
    const sy = v => y0 + h - (ymax > ymin ? (v - ymin) / (ymax - ymin) : 0.5) * h;
    el("line", { x1: x0, y1: y0 + h, x2: x0 + w, y2: y0 + h, stroke: "#555" }, g);
    el("line", { x1: x0, y1: y0, x2: x0, y2: y0 + h, stroke: "#555" }, g);
    for (let i = 0; i <= 4; ++i) {
      const xv = xmin + (xmax - xmin) * i / 4, yv = ymin + (ymax - ymin) * i / 4;
      text(g, sx(xv), y0 + h + 14, (xfmt || fmtNum)(xv), { "text-anchor": "middle" });
      text(g, x0 - 4, sy(yv) + 4, (yfmt || fmtNum)(yv), { "text-anchor": "end" });
      el("line", { x1: x0, y1: sy(yv), x2: x0 + w, y2: sy(yv), stroke: "#eee" }, g);
    }
    text(g, x0 + w / 2, y0 + h + 30, xlabel, { "text-anchor": "middle", "font-size": 12 });
    text(g, x0 - 46, y0 + h / 2, ylabel, { "text-anchor": "middle", "font-size": 12,
      transform: "rotate(-90 " + (x0 - 46) + " " + (y0 + h / 2) + ")" });
    return { sx: sx, sy: sy };
  }
  function done(div) { div.setAttribute("data-drawn", "1"); }

  // --- compare: per-layer rates and correlation
  function plotLayers(div) {
    const layers = (data.layers || []).filter(l => l.kind !== "li");
    const W = 760, H = 60 + 34 * Math.max(1, layers.length), s = svg(div, W, H);
    let m = 0;
    for (const l of layers) m = Math.max(m, l.float_rate || 0, l.chip_rate || 0);
    m = niceMax(m);
    const x0 = 130, w = 380;
    text(s, x0, 16, "spikes per neuron per step: float (blue) and chip (red)", { "font-size": 12 });
    text(s, x0 + w + 40, 16, "spike-count correlation", { "font-size": 12 });
    layers.forEach((l, i) => {
      const y = 30 + 34 * i;
      text(s, x0 - 6, y + 16, l.name, { "text-anchor": "end", "font-size": 12 });
      const bf = el("rect", { x: x0, y: y, width: w * (l.float_rate || 0) / m, height: 12, fill: palette[0] }, s);
      tip(bf, l.name + " float rate " + fmtNum(l.float_rate));
      const bc = el("rect", { x: x0, y: y + 13, width: w * (l.chip_rate || 0) / m, height: 12, fill: palette[1] }, s);
      tip(bc, l.name + " chip rate " + fmtNum(l.chip_rate));
      const c = l.spike_count_correlation;
      const cx = x0 + w + 40;
      el("rect", { x: cx, y: y + 4, width: 160, height: 14, fill: "#f0f0f0" }, s);
      if (typeof c === "number")
        el("rect", { x: cx, y: y + 4, width: 160 * Math.max(0, c), height: 14, fill: c > 0.9 ? "#2ca02c" : c > 0.6 ? "#ff7f0e" : "#d62728" }, s);
      text(s, cx + 166, y + 16, fmtNum(c));
    });
    text(s, x0, H - 8, "0", { "text-anchor": "middle" });
    text(s, x0 + w, H - 8, fmtNum(m), { "text-anchor": "middle" });
    done(div);
  }

  // --- energy by event kind (horizontal bars)
  function barsByKind(div, byKind, title) {
    const items = Object.entries(byKind).filter(e => e[1] > 0).sort((a, b) => b[1] - a[1]);
    const W = 620, H = 40 + 24 * Math.max(1, items.length), s = svg(div, W, H);
    text(s, 10, 16, title, { "font-size": 12 });
    const total = items.reduce((a, e) => a + e[1], 0), m = items.length ? items[0][1] : 1;
    items.forEach((e, i) => {
      const y = 28 + 24 * i;
      text(s, 170, y + 13, e[0], { "text-anchor": "end" });
      const r = el("rect", { x: 176, y: y, width: 300 * e[1] / m, height: 16, fill: palette[i % palette.length] }, s);
      tip(r, e[0] + ": " + fmtPj(e[1]));
      text(s, 182 + 300 * e[1] / m, y + 13, fmtPj(e[1]) + " (" + (100 * e[1] / total).toFixed(1) + "%)");
    });
    done(div);
  }

  // --- spike raster: float and chip side by side, layers stacked
  function plotRaster(div) {
    const tr = data.trace;
    const pops = tr.populations, sizes = tr.sizes;
    const offset = [];
    let rows = 0;
    for (let p = 0; p < pops.length; ++p) { offset.push(rows); rows += p === 0 ? 0 : sizes[p]; }
    // Input populations are not drawn: only chip neurons.
    const T = tr.steps;
    for (const [key, label] of [["float_raster", "float"], ["chip_raster", "chip"]]) {
      if (!tr[key]) continue;
      const W = 560, H = 300, s = svg(div, W, H);
      const a = axes(s, 60, 20, 480, 240, 0, T, 0, Math.max(1, rows), "step", "neuron (layers stacked)", fmtInt, fmtInt);
      const total = tr[key + "_spikes"];
      text(s, 60, 14, label + ": " + total + " spikes" + (total > tr[key].length ? " (" + tr[key].length + " drawn, evenly thinned)" : ""), { "font-size": 12 });
      const dw = Math.max(1, 480 / T), dh = Math.max(0.6, 240 / Math.max(1, rows));
      let path = "";
      for (const sp of tr[key]) {
        const x = a.sx(sp[0]), y = a.sy(offset[sp[1]] + sp[2] + 1);
        path += "M" + x.toFixed(1) + " " + y.toFixed(1) + "h" + dw.toFixed(2) + "v" + dh.toFixed(2) + "h" + (-dw).toFixed(2) + "z";
      }
      el("path", { d: path, fill: "#111" }, s);
      for (let p = 1; p < pops.length; ++p) {
        if (!sizes[p]) continue;
        const y = a.sy(offset[p]);
        el("line", { x1: 60, y1: y, x2: 540, y2: y, stroke: "#1f77b4", "stroke-dasharray": "3 3" }, s);
        text(s, 538, y - 3, pops[p], { "text-anchor": "end", fill: "#1f77b4" });
      }
    }
    done(div);
  }

  // --- membrane traces of chosen neurons
  function plotMembranes(div) {
    for (const m of data.trace.membranes || []) {
      const series = [];
      if (m.float_v) series.push(["float v", m.float_v, palette[0]]);
      if (m.chip_v) series.push(["chip v / (64 s)", m.chip_v, palette[1]]);
      if (!series.length) continue;
      let lo = Infinity, hi = -Infinity;
      for (const sr of series) for (const v of sr[1]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (typeof m.threshold === "number") hi = Math.max(hi, m.threshold);
      if (!(hi > lo)) { hi = lo + 1; }
      const T = series[0][1].length, W = 380, H = 220, s = svg(div, W, H);
      const a = axes(s, 60, 24, 300, 150, 0, Math.max(1, T - 1), lo, hi, "step", "v", fmtInt);
      text(s, 60, 14, m.population + "[" + m.neuron + "]", { "font-size": 12 });
      if (typeof m.threshold === "number")
        el("line", { x1: 60, x2: 360, y1: a.sy(m.threshold), y2: a.sy(m.threshold), stroke: "#999", "stroke-dasharray": "4 3" }, s);
      series.forEach((sr, k) => {
        let d = "";
        sr[1].forEach((v, t) => { d += (t ? "L" : "M") + a.sx(t).toFixed(1) + " " + a.sy(v).toFixed(1); });
        el("path", { d: d, fill: "none", stroke: sr[2], "stroke-width": 1.4 }, s);
        text(s, 200 + 90 * k - 100, 214, sr[0], { fill: sr[2] });
      });
    }
    done(div);
  }

  // --- the mesh: tiles, cores and their layers, links with their load
  function plotMesh(div) {
    const m = data.mesh, cw = 120, gap = 50, x0 = 90, y0 = 30;
    const W = x0 + m.width * (cw + gap) + 20, H = y0 + m.height * (cw + gap) + 20, s = svg(div, W, H);
    const cx = x => x < 0 ? 30 : x0 + x * (cw + gap) + cw / 2, cy = y => y0 + y * (cw + gap) + cw / 2;
    let maxLoad = 0;
    for (const l of m.links) maxLoad = Math.max(maxLoad, l.packets_per_inference);
    for (const l of m.links) {
      const f = l.from, t = l.to, w = 1 + 9 * (maxLoad > 0 ? l.packets_per_inference / maxLoad : 0);
      // Offset the two directions of a link so both are visible.
      const dx = t[0] - f[0], dy = t[1] - f[1], ox = dy !== 0 ? (dy > 0 ? 6 : -6) : 0, oy = dx !== 0 ? (dx > 0 ? -6 : 6) : 0;
      const line = el("line", { x1: cx(f[0]) + ox, y1: cy(f[1]) + oy, x2: cx(t[0]) + ox, y2: cy(t[1]) + oy,
        stroke: "#d62728", "stroke-opacity": 0.75, "stroke-width": w.toFixed(1) }, s);
      tip(line, "(" + f + ") → (" + t + "): " + fmtNum(l.packets_per_inference) + " packets per inference");
    }
    for (let y = 0; y < m.height; ++y)
      for (let x = 0; x < m.width; ++x) {
        const r = el("rect", { x: cx(x) - cw / 2, y: cy(y) - cw / 2, width: cw, height: cw, rx: 6,
          fill: "#f6f8fa", stroke: "#8c959f" }, s);
        text(s, cx(x) - cw / 2 + 4, cy(y) - cw / 2 + 12, "(" + x + ", " + y + ")", { fill: "#8c959f" });
        tip(r, "tile (" + x + ", " + y + ")");
      }
    for (const c of m.cores) {
      const r = el("rect", { x: cx(c.x) - cw / 2 + 8, y: cy(c.y) - cw / 2 + 18, width: cw - 16, height: cw - 26, rx: 4,
        fill: "#ddf4ff", stroke: "#1f77b4" }, s);
      tip(r, JSON.stringify(c.populations) + ", " + fmtNum(c.spikes_per_inference) + " spikes per inference");
      let k = 0;
      for (const [p, n] of Object.entries(c.populations))
        text(s, cx(c.x) - cw / 2 + 14, cy(c.y) - cw / 2 + 34 + 13 * k++, p + " ×" + n);
      text(s, cx(c.x) - cw / 2 + 14, cy(c.y) + cw / 2 - 14, fmtNum(c.spikes_per_inference) + " spk/inf", { fill: "#57606a" });
    }
    el("rect", { x: 6, y: cy(0) - 20, width: 48, height: 40, rx: 4, fill: "#fff5d6", stroke: "#bf8700" }, s);
    text(s, 30, cy(0) + 4, "host", { "text-anchor": "middle" });
    done(div);
  }

  // --- sweep: accuracy against energy with the Pareto front
  function plotPareto(div) {
    const pts = data.points.filter(p => typeof p.accuracy === "number" && typeof p.energy_pj_per_inference === "number");
    const W = 720, H = 420, s = svg(div, W, H);
    let emin = Infinity, emax = -Infinity, amin = Infinity, amax = -Infinity;
    for (const p of pts) {
      emin = Math.min(emin, p.energy_pj_per_inference); emax = Math.max(emax, p.energy_pj_per_inference);
      amin = Math.min(amin, p.accuracy); amax = Math.max(amax, p.accuracy);
    }
    if (!pts.length) { emin = 0; emax = 1; amin = 0; amax = 1; }
    const pad = (emax - emin) * 0.05 || emax * 0.05 || 1;
    const a = axes(s, 80, 20, 600, 340, Math.max(0, emin - pad), emax + pad, Math.max(0, amin - 0.05), Math.min(1, amax + 0.05),
      "energy per inference", "accuracy", fmtPj, v => (100 * v).toFixed(1) + "%");
    const front = pts.filter(p => p.pareto).sort((x, y) => x.energy_pj_per_inference - y.energy_pj_per_inference);
    let d = "";
    front.forEach((p, i) => { d += (i ? "L" : "M") + a.sx(p.energy_pj_per_inference).toFixed(1) + " " + a.sy(p.accuracy).toFixed(1); });
    if (d) el("path", { d: d, fill: "none", stroke: "#2ca02c", "stroke-width": 2 }, s);
    for (const p of pts) {
      const c = el("circle", { cx: a.sx(p.energy_pj_per_inference), cy: a.sy(p.accuracy), r: 5,
        fill: p.pareto ? "#2ca02c" : "#fff", stroke: p.pareto ? "#1a6b1a" : "#555", "stroke-width": 1.5 }, s);
      const label = Object.entries(p.set).map(e => e[0] + "=" + e[1]).join(", ");
      tip(c, label + ": " + (100 * p.accuracy).toFixed(2) + "%, " + fmtPj(p.energy_pj_per_inference));
      text(s, a.sx(p.energy_pj_per_inference) + 7, a.sy(p.accuracy) - 6, Object.values(p.set).join(","), { "font-size": 10, fill: "#57606a" });
    }
    done(div);
  }
  function plotParams(div) {
    for (const key of data.parameters) {
      const vals = [...new Set(data.points.map(p => p.set[key]))].sort((x, y) => x - y);
      if (vals.some(v => typeof v !== "number")) continue;
      // For each value, the best accuracy and the least energy over the other parameters.
      const acc = vals.map(v => Math.max(...data.points.filter(p => p.set[key] === v).map(p => p.accuracy)));
      const en = vals.map(v => Math.min(...data.points.filter(p => p.set[key] === v).map(p => p.energy_pj_per_inference)));
      const W = 420, H = 250, s = svg(div, W, H);
      const a = axes(s, 60, 24, 300, 170, vals[0], vals[vals.length - 1], 0, 1, key, "accuracy", null, v => (100 * v).toFixed(0) + "%");
      const emaxv = niceMax(Math.max(...en));
      let d1 = "", d2 = "";
      vals.forEach((v, i) => {
        d1 += (i ? "L" : "M") + a.sx(v).toFixed(1) + " " + a.sy(acc[i]).toFixed(1);
        d2 += (i ? "L" : "M") + a.sx(v).toFixed(1) + " " + (24 + 170 - 170 * en[i] / emaxv).toFixed(1);
      });
      el("path", { d: d1, fill: "none", stroke: palette[0], "stroke-width": 2 }, s);
      el("path", { d: d2, fill: "none", stroke: palette[1], "stroke-width": 2, "stroke-dasharray": "5 3" }, s);
      text(s, 60, 14, "best accuracy (blue) and least energy (red, right axis, max " + fmtPj(emaxv) + ")", { "font-size": 11 });
    }
    done(div);
  }

  const draw = {
    "plot-layers": plotLayers,
    "plot-energy": div => barsByKind(div, data.energy.by_kind_pj_per_inference, "energy per inference by event kind (" + data.energy.backend + ")"),
    "plot-raster": plotRaster,
    "plot-membranes": plotMembranes,
    "plot-mesh": plotMesh,
    "plot-pareto": plotPareto,
    "plot-params": plotParams,
  };
  for (const div of document.querySelectorAll("div.plot")) {
    const f = draw[div.id];
    if (f) f(div);
  }
  document.body.setAttribute("data-plots-drawn", String(document.querySelectorAll("div.plot[data-drawn]").length));
})();
)JS";

}  // namespace sf
