// A view's knobs and its two charts (the gradient and intervention views; lstm_viz/teach/sweeps.py): each
// slider steps through its knob's grid; while it moves, the charts show the figures the server computed for the
// value under the thumb (sent as patches on the figures at the current settings), with no request; when it is let
// go, the page hears the value and reruns with it (the other knobs' sweeps follow the new value). A value the
// budget left out of the sweep is drawn on release, and the knob says so. Plotly is window.Plotly (installed once
// per page by plotly_assets.js, or inlined in an exported file).

import rootFor from "./mountpoint.js";

const mounts = new Map(); // key -> teardown of the mounted knobs

// the figures for a point: ``patch`` (lstm_viz.teach.sweeps.patch) applied to ``base``, which is not changed
export function apply(base, p) {
  if (!p || Object.keys(p).length === 0) return base;
  if ("v" in p) return p.v;
  if ("l" in p) {
    const n = "n" in p ? p.n : base.length;
    return base.slice(0, n).map((b, i) => (String(i) in p.l ? apply(b, p.l[String(i)]) : b)).concat(p.t || []);
  }
  const out = {};
  const gone = new Set(p.x || []);
  for (const [k, v] of Object.entries(base || {})) if (!gone.has(k)) out[k] = v;
  for (const [k, q] of Object.entries(p.d || {})) out[k] = apply(base ? base[k] : undefined, q);
  return out;
}

// a typed array as Plotly's {dtype, bdata} (lstm_viz.teach.sweeps.encode), read into its JavaScript array
function decoded(a) {
  if (!a || typeof a.bdata !== "string") return a;
  const bytes = Uint8Array.from(atob(a.bdata), (ch) => ch.charCodeAt(0));
  return a.dtype === "i4" ? new Int32Array(bytes.buffer) : new Float64Array(bytes.buffer);
}

// whether figure ``b`` is ``a`` with other numbers only (each trace's x and y, of the same lengths)
function sameShape(a, b) {
  if (!a || !b || a.data.length !== b.data.length) return false;
  const bare = (fig) => JSON.stringify([fig.layout, fig.data.map((t) => ({ ...t, x: null, y: null,
    n: (decoded(t.y) || []).length }))]);
  return bare(a) === bare(b);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function plotlyReady() { // installed by plotly_assets.js on the page; inlined before the script in a file
  return Boolean(window.Plotly) && (window.lstmVizPlotly || !document.querySelector("[data-testid='stApp']"));
}

function whenPlotly(then) {
  if (plotlyReady()) { then(); return () => {}; }
  const ready = () => { window.removeEventListener("lstm-viz-plotly", ready); then(); };
  window.addEventListener("lstm-viz-plotly", ready);
  return () => window.removeEventListener("lstm-viz-plotly", ready);
}

class Knobs {
  constructor(root, data, setTriggerValue) {
    this.d = data;
    this.trigger = setTriggerValue;
    this.root = root;
    root.replaceChildren();
    root.lang = data.lang;
    this.sliders = el("div", "lvk-knobs");
    this.charts = el("div", "lvk-charts" + (data.present ? " lvk-present" : "") + (data.stacked ? " lvk-stacked" : ""));
    const main = el("div", "lvk-col");
    this.notes = el("div", "lvk-notes");
    // the two chart boxes outlive a rerun's new data: Plotly redraws them in place, without a blank frame
    root.lvkBoxes = root.lvkBoxes || { main: el("div", "lvk-chart lvk-main"), compare: el("div", "lvk-chart lvk-compare") };
    this.mainDiv = root.lvkBoxes.main;
    this.lines = el("div", "lvk-lines");
    main.append(this.notes, this.mainDiv, this.lines);
    const cmp = el("div", "lvk-col"); // the second chart: the three cells compared, or the clamp's gradients
    if (data.texts.compare_title) cmp.append(el("p", "lvk-title", data.texts.compare_title));
    this.cmpDiv = root.lvkBoxes.compare;
    this.cmpNote = el("div", "lvk-notes");
    cmp.append(this.cmpDiv, this.cmpNote);
    if (data.texts.compare_caption) cmp.append(el("p", "lvk-caption", data.texts.compare_caption));
    this.refusal = el("div", "lvk-refusal");
    this.charts.append(...(data.compareFirst ? [cmp, main] : [main, cmp]));
    this.status = el("p", "lvk-status");
    this.status.setAttribute("aria-live", "polite");
    // on a projector the scene's chart leads and its knobs follow; elsewhere the knobs come first
    root.append(...(data.present ? [this.refusal, this.charts, this.sliders] : [this.sliders, this.refusal, this.charts]),
      this.status);
    this.inputs = data.knobs.map((k, n) => this.slider(k, n));
    this.state = null;
    this.drawn = {}; // the figure each chart box shows now: one the sweep did not change is not drawn again
  }

  slider(k, n) {
    const box = el("div", "lvk-knob");
    const id = `lvk-${this.d.key}-${k.name}`;
    const label = el("label", "lvk-label", k.label);
    label.htmlFor = id;
    if (k.help) label.title = k.help;
    const input = el("input", "lvk-slider");
    Object.assign(input, { type: "range", id, min: "0", max: String(k.values.length - 1), step: "1",
      value: String(k.at) });
    input.dataset.knob = k.name;
    const out = el("output", "lvk-value", this.format(k, k.at));
    out.htmlFor = id;
    input.setAttribute("aria-valuetext", this.format(k, k.at));
    const head = el("div", "lvk-head");
    head.append(label, out);
    box.append(head, input);
    if (k.note) box.append(el("p", "lvk-note", k.note));
    this.sliders.append(box);
    input.addEventListener("input", () => this.moved(n, parseInt(input.value, 10)));
    input.addEventListener("change", () => this.released(n, parseInt(input.value, 10)));
    return { input, out };
  }

  format(k, i) {
    const v = k.values[i];
    return k.names && k.names[i] ? k.names[i] : String(v);
  }

  // the thumb moved to value i of knob n: its charts from the sweep, or a word that they come on release
  moved(n, i) {
    const k = this.d.knobs[n];
    const { input, out } = this.inputs[n];
    out.textContent = this.format(k, i);
    input.setAttribute("aria-valuetext", this.format(k, i));
    this.writeAddress(k, i);
    const p = k.points[i];
    if (p === null || p === undefined) {
      this.charts.classList.add("lvk-stale");
      this.status.textContent = this.d.texts.on_release;
      return;
    }
    this.charts.classList.remove("lvk-stale");
    this.status.textContent = "";
    this.show(apply(this.d.base, p));
  }

  // draw ``state`` once the drawing under way is done: a fast drag draws the latest value, never an older one
  // over it (Plotly's in-place moves finish a frame later, and one asked for meanwhile would be lost)
  show(state) {
    this.next = state;
    if (this.busy) return;
    this.busy = true;
    const run = async () => {
      try {
        while (this.next) {
          const s = this.next;
          this.next = null;
          await this.draw(s);
        }
      } finally {
        this.busy = false;
      }
    };
    run();
  }

  released(n, i) {
    const k = this.d.knobs[n];
    if (i === k.at && !this.charts.classList.contains("lvk-stale")) return;
    this.trigger("release", { name: k.name, value: k.values[i] });
  }

  writeAddress(k, i) {
    if (this.d.embedded) return; // a file on its own: no address to keep
    const url = new URL(window.location.href);
    const q = k.query[i];
    if (q === null || q === undefined) url.searchParams.delete(k.name);
    else url.searchParams.set(k.name, q);
    window.history.replaceState(window.history.state, "", url);
  }

  draw(state) {
    this.state = state;
    if (!plotlyReady()) return Promise.resolve(); // drawn when Plotly arrives
    this.refusal.textContent = state.refusal || "";
    this.charts.hidden = Boolean(state.refusal);
    if (state.refusal) return Promise.resolve();
    this.notes.replaceChildren(...(state.notes || []).map((t) => el("p", "lvk-notice", t)));
    this.lines.replaceChildren(...(state.lines || []).map((t) => el("p", "lvk-line", t)));
    this.cmpNote.replaceChildren(...(state.compare_note ? [el("p", "lvk-notice", state.compare_note)] : []));
    return Promise.all([this.plot(this.mainDiv, state.main, "gradients"),
      this.plot(this.cmpDiv, state.compare, "compare")]);
  }

  plot(div, fig, name) {
    const last = this.drawn[name];
    if (fig && fig === last && div.data) return null; // the same figure object: nothing moved in it
    this.drawn[name] = fig;
    if (!fig) {
      if (div.data) window.Plotly.purge(div);
      div.hidden = true;
      return null;
    }
    div.hidden = false;
    if (last && div.data && sameShape(last, fig)) { // only the lines move: Plotly moves them in place, about a
      const data = fig.data.map((t) => ({ x: decoded(t.x), y: decoded(t.y) })); // third of a redraw's work
      return window.Plotly.animate(div, { data, traces: data.map((_, i) => i) },
        { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" });
    }
    const copy = structuredClone(fig); // Plotly writes into what it is given; the sweep's figures stay as sent
    // the box's own width, not Plotly's autosize: measuring the container on every draw lays out the whole page
    const width = Math.round(div.parentElement.getBoundingClientRect().width);
    if (width > 0) Object.assign(copy.layout, { width, autosize: false });
    const config = { displaylogo: false,
      toImageButtonOptions: { format: this.d.imgfmt || "png", filename: `lstm_viz_${name}` } };
    return window.Plotly.react(div, copy.data, copy.layout, config);
  }
}

export default function mount(component) {
  const { data, setTriggerValue, key } = component;
  const root = rootFor(mounts, component, "lvk");
  if (!root) return undefined;
  const knobs = new Knobs(root, { ...data, key }, setTriggerValue);
  const stop = whenPlotly(() => knobs.show(knobs.state || data.base));
  knobs.show(data.base);
  let width = root.getBoundingClientRect().width;
  const onResize = () => { // a new width: the charts are drawn again at it
    const now = root.getBoundingClientRect().width;
    if (Math.abs(now - width) < 1 || !knobs.state) return;
    width = now;
    knobs.drawn = {};
    knobs.show(knobs.state);
  };
  window.addEventListener("resize", onResize);
  const teardown = () => {
    if (mounts.get(key) !== teardown) return;
    mounts.delete(key);
    stop();
    window.removeEventListener("resize", onResize);
  };
  mounts.set(key, teardown);
  return teardown;
}
