// The cell diagram of lstm_viz/teach/diagram.py's layout, drawn as SVG at one step from the step player's data
// (lstm_viz/teach/stepdata.py). The step player draws it live; the handout draws each step scene's once, when the
// file opens: one renderer, and the one number format of every number the page and the handout show.

export const SVGNS = "http://www.w3.org/2000/svg";
export const S = 64; // pixels per diagram unit
export const PLACEHOLDER = /⟦(\w+):([^⟧]+)⟧/g;
// below this width (a phone) the diagram is drawn as a list of its parts in the page's type size: the whole
// drawing scaled to a phone's width would put its labels at 7–9 px
export const NARROW = "(max-width: 600px)";

export function decode(b64, Type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}

export function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export function show(tok) {
  return { " ": "␣", "\n": "⏎", "\t": "⇥" }[tok] ?? tok;
}

// a number as a template's slot asks: "+.4f", ".4f", ".3e" (with tex, ∞ and 10^k in LaTeX)
export function fmt(v, spec, tex) {
  if (!Number.isFinite(v)) {
    if (Number.isNaN(v)) return tex ? "\\mathrm{NaN}" : "NaN";
    return (v > 0 ? "" : "-") + (tex ? "\\infty" : "∞");
  }
  const digits = parseInt(spec.replace(/[^0-9]/g, ""), 10);
  if (spec.endsWith("e")) {
    const [mant, exp] = v.toExponential(digits).split("e");
    return tex ? `${mant}\\times10^{${parseInt(exp, 10)}}` : `${mant}e${exp}`;
  }
  const s = Math.abs(v).toFixed(digits);
  return (v < 0 ? "-" : spec.startsWith("+") ? "+" : "") + s;
}

// WCAG 2.1 relative luminance of an [r, g, b] colour (0–255) and the contrast ratio of two luminances
function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

// the text colour for a fill: the page's ink or light ink, whichever reads better; black or white where neither
// reaches 4.5:1 (WCAG AA for text)
export function inkOn(fill, colours) {
  const lf = luminance(fill);
  const options = [colours.ink, colours.light_ink].map((c) => [c, contrast(lf, luminance(parseRgb(hexToRgb(c))))]);
  options.sort((a, b) => b[1] - a[1]);
  if (options[0][1] >= 4.5) return options[0][0];
  return contrast(lf, 0) >= contrast(lf, 1) ? colours.black : colours.halo;
}

function hexToRgb(c) {
  if (!c.startsWith("#")) return c;
  const n = parseInt(c.slice(1), 16);
  return `rgb(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255})`;
}

function parseRgb(c) {
  const m = c.match(/\d+(\.\d+)?/g).map(Number);
  return [m[0], m[1], m[2]];
}

export function colourOf(stops, frac) {
  const f = Math.min(1, Math.max(0, Number.isFinite(frac) ? frac : 0.5));
  for (let i = 1; i < stops.length; i++) {
    if (f <= stops[i][0]) {
      const [f0, c0] = stops[i - 1];
      const [f1, c1] = stops[i];
      const a = (f - f0) / (f1 - f0 || 1);
      return c0.map((v, k) => Math.round(v + (c1[k] - v) * a));
    }
  }
  return stops[stops.length - 1][1];
}

// a colour on an SVG node (its fill) or an HTML one (its background or its text)
function paint(node, kind, colour) {
  if (node instanceof SVGElement) node.setAttribute("fill", colour);
  else node.style[kind === "fill" ? "background" : "color"] = colour;
}

function div(cls, text, parent) {
  const e = document.createElement("div");
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

export class Diagram {
  constructor(data) {
    this.d = data;
    this.series = {};
    for (const [name, b64] of Object.entries(data.series || {})) this.series[name] = decode(b64, Float32Array);
    if (data.pred) {
      this.predIdx = decode(data.pred.idx, Uint16Array);
      this.predP = decode(data.pred.p, Float32Array);
    }
    this.scales = {};
    for (const [k, stops] of Object.entries(data.scales || {})) this.scales[k] = stops.map(([f, c]) => [f, parseRgb(c)]);
  }

  value(name, t) {
    const s = this.series[name];
    return s ? s[t - this.d.lo] : NaN;
  }

  fill(template, t, tex) {
    return template.replace(PLACEHOLDER, (_, name, spec) => {
      if (spec === "label") {
        if (!this.d.pred) return "";
        return show(this.d.pred.labels[this.predIdx[(t - this.d.lo) * this.d.pred.k]]);
      }
      return fmt(this.value(name, t), spec, tex);
    });
  }

  // the drawing (SVG), or on a narrow screen the same parts as a list: what comes in, the gates (their colour
  // and value), what the operators make, what goes out; every number filled in by draw() from the same templates
  build(narrow = false) {
    return narrow ? this.buildList() : this.buildSvg();
  }

  buildList() {
    const dg = this.d.diagram;
    const root = div("lv-diagram lv-dlist");
    root.setAttribute("role", "img");
    this.root = root;
    this.dyn = [];
    this.backs = [];
    const textRow = (parent, item, template) => { // the value, then what it is (the drawing's tooltip)
      const row = div("lv-dl-text", undefined, parent);
      const text = div("lv-dl-value", undefined, row);
      this.dyn.push([text, "text", template]);
      if (item.title) div("lv-dl-what", item.title, row);
    };
    const inputs = div("lv-dl-row", undefined, root);
    for (const l of dg.labels) if (l.part === "in") textRow(inputs, l, l.text);
    const boxes = div("lv-dl-boxes", undefined, root);
    for (const b of dg.boxes) {
      const box = div("lv-dl-box", undefined, boxes);
      box.title = b.title;
      box.style.borderColor = b.edge;
      const label = div("lv-dl-label", b.label, box);
      const val = div("lv-dl-num", undefined, box);
      this.dyn.push([box, "fill", b], [val, "value", b], [label, "ink", b]);
    }
    const ops = div("lv-dl-row", undefined, root);
    for (const o of dg.ops) if (o.note) textRow(ops, o, o.note);
    const outputs = div("lv-dl-row", undefined, root);
    for (const l of dg.labels) if (l.part === "out") textRow(outputs, l, l.text);
    return root;
  }

  buildSvg() {
    const dg = this.d.diagram;
    const [x0, y0, x1, y1] = dg.view;
    const X = (x) => (x - x0) * S;
    const Y = (y) => (y1 - y) * S;
    const root = svg("svg", { viewBox: `0 0 ${(x1 - x0) * S} ${(y1 - y0) * S}`, class: "lv-diagram",
      role: "img", "font-family": "sans-serif" });
    this.root = root;
    const c = this.d.colours;
    const defs = svg("defs", {}, root);
    const marker = svg("marker", { id: `lv-arrow-${this.d.sig.slice(0, 8)}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: c.wire }, marker);
    for (const w of dg.wires) {
      const line = svg("polyline", { points: w.pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), fill: "none",
        stroke: c.wire, "stroke-width": 2.5 }, root);
      if (w.arrow) line.setAttribute("marker-end", `url(#${marker.id})`);
    }
    this.dyn = []; // [element, kind, spec]
    this.backs = []; // [rect, text]: a value label on the paper's colour, so that no wire runs through it
    for (const b of dg.boxes) {
      const g = svg("g", { class: "lv-box" }, root);
      svg("title", {}, g).textContent = b.title;
      const rect = svg("rect", { x: X(b.x - b.w / 2), y: Y(b.y + b.h / 2), width: b.w * S, height: b.h * S, rx: 8,
        stroke: b.edge, "stroke-width": 4 }, g);
      const label = svg("text", { x: X(b.x), y: Y(b.y) - 6, "text-anchor": "middle",
        "font-size": b.label.length > 12 ? 15 : 17 }, g);
      label.textContent = b.label;
      const val = svg("text", { x: X(b.x), y: Y(b.y) + 16, "text-anchor": "middle", "font-size": 19,
        "font-weight": "bold" }, g);
      this.dyn.push([rect, "fill", b], [val, "value", b], [label, "ink", b]);
    }
    for (const o of dg.ops) {
      const g = svg("g", { class: "lv-op" }, root);
      svg("title", {}, g).textContent = o.title;
      svg("ellipse", { cx: X(o.x), cy: Y(o.y), rx: o.r * S, ry: 0.2 * S, fill: c.paper, stroke: c.ink,
        "stroke-width": 1.5 }, g);
      const sym = svg("text", { x: X(o.x), y: Y(o.y) + 6, "text-anchor": "middle", "font-size": 18 }, g);
      sym.textContent = o.sym;
      if (o.note) {
        const back = svg("rect", { fill: c.paper, rx: 3 }, g);
        const note = svg("text", { x: X(o.x), y: Y(o.y - 0.45) + 6, "text-anchor": "middle", "font-size": 16,
          fill: c.ink }, g);
        this.backs.push([back, note]);
        this.dyn.push([note, "text", o.note]);
      }
    }
    for (const l of dg.labels) {
      const g = svg("g", { class: "lv-label" }, root);
      if (l.title) svg("title", {}, g).textContent = l.title;
      const back = svg("rect", { fill: c.paper, rx: 3 }, g);
      const text = svg("text", { x: X(l.x), y: Y(l.y) + 6, "text-anchor": l.anchor, "font-size": 17, fill: c.ink },
        g);
      this.backs.push([back, text]);
      this.dyn.push([text, "text", l.text]);
    }
    return root;
  }

  // step t: every box's colour and value, every label's numbers
  draw(t) {
    const d = this.d;
    for (const [node, kind, spec] of this.dyn) {
      if (kind === "text") node.textContent = this.fill(spec, t, false);
      else {
        const v = this.value(spec.value, t);
        const frac = spec.scale === "seq" ? v : (v + 1) / 2;
        const rgb = colourOf(this.scales[spec.scale], frac);
        if (kind === "fill") paint(node, "fill", `rgb(${rgb.join(",")})`);
        else {
          paint(node, "ink", inkOn(rgb, d.colours));
          if (kind === "value") node.textContent = fmt(v, ".3f", false);
        }
      }
    }
    if (!this.backsSized && this.backs.length) this.sizeBacks();
  }

  // the labels' backgrounds, measured once on the first step drawn while the diagram is laid out (a value keeps its
  // width: a fixed format); an empty label gets an empty background, and stepping measures nothing more
  sizeBacks() {
    if (!this.root.getBoundingClientRect().width) return; // not laid out yet (a hidden tab): at the next step
    for (const [rect, text] of this.backs) {
      const b = text.getBBox();
      if (!b.width) continue;
      Object.entries({ x: b.x - 5, y: b.y, width: b.width + 10, height: b.height }).forEach(([k, v]) =>
        rect.setAttribute(k, v));
    }
    this.backsSized = true;
  }
}
