import { Diagram, NARROW, PLACEHOLDER, SVGNS, colourOf, fmt, show, svg } from "./diagram.js";
import rootFor from "./mountpoint.js";

// The step player: receives one sequence's step data once (lstm_viz/teach/stepdata.py) and steps through it in the
// browser. It draws the cell diagram (SVG), the equations (KaTeX), the prediction bars and the token strip,
// moves a cursor over the page's over-time charts, and keeps t in the page address, all without a rerun.
// User text (tokens, labels) only ever reaches the page as text nodes.

const SPEEDS = [1, 2, 4, 8, 16]; // steps per second when playing
// what the live region reads at each step, in this order where the cell has it (g is the LSTM's candidate c̃)
const SPOKEN = [["f", "f"], ["i", "i"], ["g", "c̃"], ["o", "o"], ["r", "r"], ["z", "z"], ["n", "n"], ["c", "c"],
  ["h", "h"]];
// the strips under the tokens, per cell: [series, symbol, scale]; "log" is ‖∂L/∂h_t‖ on a log scale
const STRIPS = {
  lstm: [["f", "f", "seq"], ["i", "i", "seq"], ["o", "o", "seq"], ["c", "c", "div"], ["dL_dh", "‖∂L/∂h‖", "log"]],
  gru: [["r", "r", "seq"], ["z", "z", "seq"], ["h", "h", "div"], ["dL_dh", "‖∂L/∂h‖", "log"]],
  rnn: [["h", "h", "div"], ["dL_dh", "‖∂L/∂h‖", "log"]],
};
const QUIET_MS = 400; // a step is announced once stepping pauses this long (holding a key does not flood)
const PLAYING_MS = 3000; // and at most this often while playing
const memory = new Map(); // component key -> {sig, t}: the step survives a rerun that did not change the data
// component key -> the teardown of its live mount. Streamlit calls the component again with each new data without
// unmounting it (the cleanup it is given runs on unmount only), so each call ends the one before it: otherwise the
// earlier mount's key handler, still listening, takes the arrow keys and steps a player that is no longer drawn.
const mounts = new Map();
const KATEX = { throwOnError: false, strict: false, displayMode: false };
// \htmlClass only: it marks where a step's numbers go (the templates are the project's own, never user text)
const KATEX_LIVE = { ...KATEX, trust: (ctx) => ctx.command === "\\htmlClass" };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ⏮ / ⏭ as a bar and a triangle in the text's own colour
function edgeIcon(last) {
  const icon = svg("svg", { viewBox: "0 0 16 16", width: 16, height: 16, "aria-hidden": "true" });
  const [bar, tri] = last ? [12, "M2 2 L11 8 L2 14 Z"] : [1, "M14 2 L5 8 L14 14 Z"];
  svg("rect", { x: bar, y: 2, width: 3, height: 12, fill: "currentColor" }, icon);
  svg("path", { d: tri, fill: "currentColor" }, icon);
  return icon;
}

class Player {
  constructor(root, data, setTrigger) {
    this.root = root;
    this.d = data;
    this.setTrigger = setTrigger;
    this.n = data.hi - data.lo;
    this.diagram = new Diagram(data);
    this.predIdx = this.diagram.predIdx;
    this.predP = this.diagram.predP;
    this.unknown = new Set(data.unknown);
    this.playing = null;
    // play slowly where the person asked for less motion
    this.speed = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 1 : 4;
    this.build();
  }

  value(name, t) {
    return this.diagram.value(name, t);
  }

  fill(template, t, tex) {
    return this.diagram.fill(template, t, tex);
  }

  // ---- building the DOM once per data -------------------------------------------------------------------
  build() {
    const d = this.d;
    this.root.replaceChildren();
    this.root.classList.toggle("lv-compact", !!d.compact);
    this.root.classList.toggle("lv-present", !!d.present);
    this.root.style.setProperty("--lv-cursor", d.colours.cursor);
    this.root.style.setProperty("--lv-paper", d.colours.paper);
    this.root.appendChild(this.buildBar());
    this.live = el("div", "lv-live"); // read by screen readers, not shown
    this.live.setAttribute("role", "status");
    this.live.setAttribute("aria-live", "polite");
    this.live.setAttribute("aria-atomic", "true");
    this.root.appendChild(this.live);
    this.buildStrip();
    if (d.compact) return;
    const main = this.buildMain();
    this.root.appendChild(main);
    this.swipe(main);
    const eq = this.buildEquations();
    if (d.lead === "equations") this.root.insertBefore(eq, main); // the scene's question is about them
    else this.root.appendChild(eq);
  }

  // the time control: first, previous, play, next, last, the slider, the step label and the speed
  buildBar() {
    const d = this.d;
    const T = d.text;
    const bar = el("div", "lv-bar");
    const button = (label, title, fn, cls) => {
      const b = el("button", "lv-btn " + (cls || ""), typeof label === "string" ? label : undefined);
      if (typeof label !== "string") b.appendChild(label);
      b.title = title;
      b.setAttribute("aria-label", title);
      b.type = "button";
      b.addEventListener("click", fn);
      bar.appendChild(b);
      return b;
    };
    button(edgeIcon(false), T.p_first, () => this.go(0), "lv-first"); // drawn: ⏮ exists only as a colour emoji
    button("◀", T.p_prev, () => this.go(this.t - 1), "lv-prev");
    this.playBtn = button("▶", T.p_play, () => this.togglePlay(), "lv-play");
    button("▶|", T.p_next, () => this.go(this.t + 1), "lv-next");
    button(edgeIcon(true), T.p_last, () => this.go(d.T - 1), "lv-last");
    this.slider = el("input", "lv-slider");
    Object.assign(this.slider, { type: "range", min: 0, max: Math.max(0, d.T - 1), step: 1 });
    this.slider.setAttribute("aria-label", T.p_step);
    this.slider.addEventListener("input", () => this.go(parseInt(this.slider.value, 10)));
    bar.appendChild(this.slider);
    this.stepLabel = el("span", "lv-steplabel");
    bar.appendChild(this.stepLabel);
    const speed = el("select", "lv-speed");
    speed.title = T.p_speed;
    for (const s of SPEEDS) {
      const o = el("option", "", `${s}×`);
      o.value = String(s);
      if (s === this.speed) o.selected = true;
      speed.appendChild(o);
    }
    speed.addEventListener("change", () => {
      this.speed = parseInt(speed.value, 10);
      if (this.playing) { this.stop(); this.play(); }
    });
    const speedLabel = el("label", "lv-speedlabel", T.p_speed + " ");
    speedLabel.appendChild(speed);
    bar.appendChild(speedLabel);
    return bar;
  }

  // the tokens, one per step (a click steps there), the window note and the keys
  buildStrip() {
    const d = this.d;
    const T = d.text;
    const strip = el("div", "lv-tokens");
    strip.title = T.p_tokens;
    // one stop in the tab order: the arrow keys, Home and End move the step (and the token chosen) from here
    Object.assign(strip, { tabIndex: 0 });
    strip.setAttribute("role", "listbox");
    strip.setAttribute("aria-label", T.p_tokens);
    this.strip = strip;
    // under each token, one cell per strip: the unit's gates, its state and the gradient norm at that step, coloured
    // as the diagram colours them (values in each cell's title; the live region says them at the step shown)
    // (not in presenter view, where the scene's key figure must fit the projector's screen below the tokens)
    const rows = d.compact || d.present ? [] : STRIPS[d.cell].filter(([name]) => this.diagram.series[name]);
    const colour = this.stripColours(rows);
    if (rows.length) {
      const heads = el("div", "lv-col lv-heads");
      heads.setAttribute("aria-hidden", "true");
      heads.appendChild(el("span", "lv-head", ""));
      for (const [, sym] of rows) heads.appendChild(el("span", "lv-head", sym));
      strip.appendChild(heads);
      strip.classList.add("lv-withstrips");
      strip.style.setProperty("--lv-rows", String(rows.length));
    }
    this.tokenEls = d.tokens.map((tok, i) => {
      const s = el("span", "lv-tok" + (this.unknown.has(i) ? " lv-unk" : ""), show(tok));
      s.id = `lv-tok-${d.sig.slice(0, 8)}-${i}`;
      s.setAttribute("role", "option");
      s.setAttribute("aria-selected", "false");
      s.setAttribute("aria-label", `t = ${d.lo + i}: ${show(tok)}` + (this.unknown.has(i) ? ` (${T.p_unk})` : ""));
      if (this.unknown.has(i)) s.title = T.p_unk;
      s.addEventListener("click", () => this.go(d.lo + i));
      if (!rows.length) {
        strip.appendChild(s);
        return s;
      }
      const col = el("div", "lv-col");
      col.appendChild(s);
      for (const [name, sym, kind] of rows) {
        const cell = el("span", "lv-cell");
        cell.style.background = colour(name, d.lo + i);
        cell.title = `${sym} = ${fmt(this.value(name, d.lo + i), kind === "log" ? ".3e" : "+.3f", false)}`;
        cell.setAttribute("aria-hidden", "true");
        cell.addEventListener("click", () => this.go(d.lo + i));
        col.appendChild(cell);
      }
      strip.appendChild(col);
      return s;
    });
    this.root.appendChild(strip);
    if (d.hi - d.lo < d.T) {
      this.root.appendChild(el("div", "lv-note", T.p_window.replace("{a}", d.lo).replace("{b}", d.hi - 1)
        .replace("{T}", d.T)));
    }
    if (d.compact) this.root.appendChild(el("div", "lv-keys", this.keyHint())); // else under the diagram (buildMain)
  }

  // on a touch screen, a horizontal swipe over the diagram steps (left: the next step, right: the one before)
  swipe(area) {
    let start = null;
    area.addEventListener("touchstart", (ev) => {
      start = ev.touches.length === 1 ? [ev.touches[0].clientX, ev.touches[0].clientY] : null;
    }, { passive: true });
    area.addEventListener("touchend", (ev) => {
      if (!start || ev.changedTouches.length !== 1) return;
      const dx = ev.changedTouches[0].clientX - start[0];
      const dy = ev.changedTouches[0].clientY - start[1];
      start = null;
      if (Math.abs(dx) > 40 && Math.abs(dx) > 2 * Math.abs(dy)) this.go(this.t + (dx < 0 ? 1 : -1));
    }, { passive: true });
  }

  // the colour of strip ``name`` at step t: the diagram's scales, and the gradient norm on a log scale over the
  // steps sent (its smallest to its largest finite, positive value)
  stripColours(rows) {
    const scales = this.diagram.scales;
    let lo = Infinity;
    let hi = -Infinity;
    if (rows.some(([, , kind]) => kind === "log")) {
      for (const v of this.diagram.series.dL_dh) {
        if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
      }
    }
    const kinds = Object.fromEntries(rows.map(([name, , kind]) => [name, kind]));
    return (name, t) => {
      const v = this.value(name, t);
      const kind = kinds[name];
      let rgb;
      if (kind === "log") rgb = colourOf(scales.seq, v > 0 && hi > lo ? (Math.log10(v) - lo) / (hi - lo) : v > 0 ? 1 : 0);
      else rgb = colourOf(scales[kind], kind === "seq" ? v : (v + 1) / 2);
      return `rgb(${rgb.join(",")})`;
    };
  }

  // the diagram with its title, legend and download, and the prediction bars
  keyHint() { // in a notebook the keys step only the player that has the focus
    return this.d.keysInside ? this.d.text.p_keys_inside : this.d.text.p_keys;
  }

  buildMain() {
    const d = this.d;
    const T = d.text;
    const main = el("div", "lv-main");
    const left = el("div", "lv-left");
    const narrow = !d.present && !!window.matchMedia && window.matchMedia(NARROW).matches;
    // over the drawing's empty top-left corner (so the drawing starts right under the strips), above the list
    left.appendChild(el("div", "lv-title" + (narrow || d.present ? "" : " lv-overlay"), d.title));
    left.appendChild(this.diagram.build(narrow));
    this.svgEl = this.diagram.root;
    const legend = el("div", "lv-legend");
    for (const item of d.diagram.legend) {
      const row = el("div", "lv-legend-item");
      const sw = el("span", "lv-swatch");
      sw.style.background = item.colour;
      row.append(sw, document.createTextNode(item.text));
      legend.appendChild(row);
    }
    if (d.diagram.note) legend.appendChild(el("div", "lv-note", d.diagram.note));
    left.appendChild(legend);
    left.appendChild(el("div", "lv-keys", this.keyHint()));
    if (!narrow) { // the drawing as a file (a phone shows the list, not the drawing)
      const dl = el("button", "lv-btn lv-svg", T.p_svg);
      dl.type = "button";
      dl.addEventListener("click", () => this.downloadSvg());
      left.appendChild(dl);
    }
    main.appendChild(left);
    const right = el("div", "lv-right");
    if (d.pred) {
      right.appendChild(el("div", "lv-subtitle", T.p_top));
      this.bars = el("div", "lv-bars");
      right.appendChild(this.bars);
    }
    main.appendChild(right);
    return main;
  }

  // the equations of the unit shown (typeset at each step by drawEquations)
  buildEquations() {
    const d = this.d;
    const T = d.text;
    const eq = el("div", "lv-eq");
    eq.appendChild(el("div", "lv-subtitle", T.p_equations));
    this.eqLines = [];
    for (const [part, key] of [["pytorch", "forward"], ["textbook", "textbook"], ["backward", "backward"]]) {
      if (!d.equations[part].length) continue;
      eq.appendChild(el("div", "lv-eqhead", T[key]));
      for (const tmpl of d.equations[part]) {
        const line = el("div", "lv-eqline" + (tmpl.includes("underbrace") ? " lv-tall" : ""));
        eq.appendChild(line);
        this.eqLines.push([line, tmpl]);
      }
    }
    if (d.loss) eq.appendChild(el("div", "lv-note", `${T.loss_used}: ${d.loss}`));
    return eq;
  }

  // ---- one step -----------------------------------------------------------------------------------------
  go(t) {
    const d = this.d;
    t = Math.max(0, Math.min(d.T - 1, Math.round(t)));
    if (t < d.lo || t >= d.hi) { // outside the loaded window: ask the server for the one around t
      this.t = t;
      this.writeAddress(true);
      this.setTrigger("window", t);
      return;
    }
    this.t = t;
    this.draw();
    this.writeAddress(false);
  }

  draw() {
    const d = this.d;
    const t = this.t;
    const i = t - d.lo;
    this.slider.value = String(t);
    this.stepLabel.textContent = `t = ${t} / ${d.T - 1}  “${show(d.tokens[i])}”`;
    this.slider.setAttribute("aria-valuetext", this.stepWords(t));
    const old = this.current !== undefined && this.tokenEls[this.current];
    if (old) {
      old.classList.remove("lv-cur");
      old.setAttribute("aria-selected", "false");
    }
    this.current = i;
    const tokEl = this.tokenEls[i];
    tokEl.classList.add("lv-cur");
    tokEl.setAttribute("aria-selected", "true");
    this.strip.setAttribute("aria-activedescendant", tokEl.id);
    cancelAnimationFrame(this.scrollFrame);
    const col = tokEl.parentElement.classList.contains("lv-col") ? tokEl.parentElement : null;
    if (this.curCol) this.curCol.classList.remove("lv-curcol");
    if (col) col.classList.add("lv-curcol");
    this.curCol = col;
    this.scrollFrame = requestAnimationFrame(() => { // layout is read once the frame is laid out anyway
      const strip = this.strip;
      const box = col || tokEl;
      const left = box.offsetLeft - strip.offsetLeft;
      if (left < strip.scrollLeft || left + box.offsetWidth > strip.scrollLeft + strip.clientWidth) {
        strip.scrollLeft = left - strip.clientWidth / 2;
      }
    });
    this.root.dataset.t = String(t);
    moveCursors(t, d.colours);
    this.announce();
    if (d.compact) return;
    this.diagram.draw(t);
    this.svgEl.setAttribute("aria-label", `${d.title}, ${this.spoken(t)}`);
    if (this.bars) {
      this.bars.replaceChildren();
      const k = d.pred.k;
      for (let j = 0; j < k; j++) {
        const p = this.predP[i * k + j];
        const row = el("div", "lv-barrow");
        row.appendChild(el("span", "lv-barlabel", show(d.pred.labels[this.predIdx[i * k + j]])));
        const track = el("span", "lv-bartrack");
        const fillEl = el("span", "lv-barfill");
        fillEl.style.width = `${(100 * p).toFixed(1)}%`;
        fillEl.style.background = d.colours.bar;
        track.appendChild(fillEl);
        row.append(track, el("span", "lv-barvalue", fmt(p, ".3f")));
        this.bars.appendChild(row);
      }
    }
    this.drawEquations();
  }

  drawEquations() {
    const katex = window.lstmVizKatex;
    if (!katex) {
      if (!this.waiting) {
        this.waiting = () => this.drawEquations();
        window.addEventListener("lstm-viz-katex", this.waiting, { once: true });
      }
      return;
    }
    const t = this.t;
    for (const entry of this.eqLines) {
      const [line, tmpl] = entry;
      if (entry.live === undefined) { // first time: typeset once, numbers in marked boxes that steps refill
        entry.specs = [...tmpl.matchAll(PLACEHOLDER)].map((m) => [m[1], m[2]]);
        entry.live = entry.specs.every(([, spec]) => !spec.endsWith("e"));
        if (entry.live) {
          let k = 0;
          const tex = tmpl.replace(PLACEHOLDER, () => `\\htmlClass{lv-n${k++}}{0.0000}`);
          katex.render(tex, line, KATEX_LIVE);
          entry.nodes = entry.specs.map((_, i) => line.querySelector(`.lv-n${i}`));
        }
      }
      const values = entry.specs.map(([name]) => this.value(name, t));
      if (entry.live && values.every(Number.isFinite)) {
        entry.specs.forEach(([, spec], i) => { entry.nodes[i].textContent = fmt(values[i], spec, false).replace("-", "−"); });
        entry.shown = null;
      } else {
        const tex = this.fill(tmpl, t, true);
        if (tex !== entry.shown) { // lines without numbers (the textbook form) are typeset once
          katex.render(tex, line, KATEX);
          entry.shown = tex;
        }
        if (entry.live) entry.live = undefined; // a non-finite value replaced the boxes: typeset them again
      }
    }
    if (!this.eqMeasured) { // once laid out: a line still wider than the screen scrolls, and takes the focus for it
      this.eqMeasured = true;
      requestAnimationFrame(() => {
        for (const [line] of this.eqLines) if (line.scrollWidth > line.clientWidth + 1) line.tabIndex = 0;
      });
    }
  }

  writeAddress(now) {
    clearTimeout(this.addrTimer);
    if (this.d.onStep) { // a notebook widget: its Python side hears where the student stepped (not each key)
      this.addrTimer = setTimeout(() => this.d.onStep(this.t), now ? 0 : 120);
      return;
    }
    if (this.d.embedded) return; // a file on its own (a USB stick, an LMS, a srcdoc frame): no address to keep
    const write = () => {
      const url = new URL(window.location.href);
      if (this.t === 0) url.searchParams.delete("t");
      else url.searchParams.set("t", String(this.t));
      window.history.replaceState(window.history.state, "", url);
    };
    if (now) write();
    else this.addrTimer = setTimeout(write, 120);
  }

  // "t = 5, “a”": the step and its token, as the slider and the live region say them
  stepWords(t) {
    return `t = ${t}, “${show(this.d.tokens[t - this.d.lo])}”`;
  }

  // t, its token and the unit's gates and states, in words a screen reader reads
  spoken(t) {
    const values = SPOKEN.filter(([name]) => this.diagram.series[name])
      .map(([name, sym]) => `${sym} = ${fmt(this.value(name, t), "+.3f", false)}`);
    return [this.stepWords(t), ...values].join(", ");
  }

  // the live region follows the step: once stepping pauses, and now and then while playing
  announce() {
    clearTimeout(this.liveTimer);
    const say = () => {
      this.live.textContent = this.d.compact ? this.stepWords(this.t) : `${this.d.title}. ${this.spoken(this.t)}`;
      this.lastSaid = Date.now();
    };
    if (this.playing && Date.now() - (this.lastSaid || 0) >= PLAYING_MS) say();
    else this.liveTimer = setTimeout(say, this.playing ? PLAYING_MS : QUIET_MS);
  }

  togglePlay() {
    if (this.playing) this.stop();
    else this.play();
  }

  play() {
    if (this.t >= this.d.T - 1) this.go(0);
    this.playBtn.textContent = "❚❚";
    this.playBtn.title = this.d.text.p_pause;
    this.playBtn.setAttribute("aria-label", this.d.text.p_pause);
    this.root.dataset.playing = "1";
    this.playing = setInterval(() => {
      if (this.t >= this.d.hi - 1) { this.stop(); return; }
      this.go(this.t + 1);
    }, 1000 / this.speed);
  }

  stop() {
    clearInterval(this.playing);
    this.playing = null;
    this.playBtn.textContent = "▶";
    this.playBtn.title = this.d.text.p_play;
    this.playBtn.setAttribute("aria-label", this.d.text.p_play);
    this.root.dataset.playing = "";
    this.announce(); // where it stopped
  }

  downloadSvg() {
    const clone = this.svgEl.cloneNode(true);
    clone.setAttribute("xmlns", SVGNS);
    const blob = new Blob([new XMLSerializer().serializeToString(clone)], { type: "image/svg+xml" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `lstm_viz_diagram_t${this.t}.svg`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
}

// ---- the cursor on the page's over-time charts (Plotly charts whose layout.meta.cursor says where t is) ----
let lastT = 0;
let lastColours = null;

// ``colours``: the data's colours (the cursor's, and the halo beside it)
function moveCursors(t, colours) {
  lastT = t;
  lastColours = colours;
  const colour = colours.cursor;
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    const meta = gd.layout && gd.layout.meta && gd.layout.meta.cursor;
    const full = gd._fullLayout;
    if (!meta || !full || !full.xaxis) continue;
    let mark = gd.querySelector(":scope > .lv-cursor");
    if (!mark) { // in the page, outside the player's shadow root: styled here
      mark = el("div", "lv-cursor");
      // a white halo beside the colour: one of the two stands out (≥ 3:1) on any fill of the chart
      const halo = colours.halo;
      Object.assign(mark.style, { position: "absolute", pointerEvents: "none", zIndex: 5, boxSizing: "border-box",
        boxShadow: `0 0 0 1.5px ${halo}` });
      if (meta.grid) Object.assign(mark.style, { background: "transparent", border: "3px solid",
        boxShadow: `0 0 0 1.5px ${halo}, inset 0 0 0 1.5px ${halo}` });
      gd.style.position = "relative";
      gd.appendChild(mark);
      if (gd.on && !gd.lvHooked) {
        gd.lvHooked = true;
        gd.on("plotly_afterplot", () => moveCursors(lastT, lastColours));
      }
    }
    const size = full._size;
    let left;
    let top = size.t;
    let width = 2;
    let height = size.h;
    if (meta.grid) { // a grid of tokens: outline the cell of t
      const col = t % meta.grid;
      const row = Math.floor(t / meta.grid);
      const xa = full.xaxis;
      const ya = full.yaxis;
      const cx = xa._offset + xa.l2p(col);
      const cy = ya._offset + ya.l2p(row);
      const w = Math.abs(xa.l2p(1) - xa.l2p(0));
      const h = Math.abs(ya.l2p(1) - ya.l2p(0));
      left = cx - w / 2;
      top = cy - h / 2;
      width = w;
      height = h;
    } else {
      const x = (t - meta.lo) / meta.bin;
      const xa = full.xaxis;
      const [r0, r1] = xa.range;
      const inside = x >= Math.min(r0, r1) && x <= Math.max(r0, r1);
      mark.style.display = inside ? "block" : "none";
      if (!inside) continue;
      left = xa._offset + xa.l2p(meta.bin > 1 ? Math.floor(x) : x) - 1;
    }
    Object.assign(mark.style, { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px`,
      borderColor: colour, display: "block" });
    if (!meta.grid) mark.style.background = colour;
  }
}

function inTextBox(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  return tag === "textarea" || tag === "select" || target.isContentEditable ||
    (tag === "input" && !["range", "button", "checkbox", "radio"].includes(target.type));
}

export default function mount(component) {
  const { data, setTriggerValue, key } = component;
  const root = rootFor(mounts, component, "lv-player");
  if (!root) return undefined;
  const player = new Player(root, data, setTriggerValue);
  const seen = memory.get(key);
  const fromAddress = parseInt(new URL(window.location.href).searchParams.get("t") || "0", 10);
  if (Number.isInteger(data.t)) player.t = data.t; // the server chose the step (a scene opened)
  else if (seen && seen.sig === data.sig) player.t = seen.t;
  else player.t = Number.isFinite(fromAddress) ? fromAddress : 0;
  player.go(player.t);

  const onKey = (ev) => {
    const target = ev.composedPath()[0] || ev.target; // inside the player's shadow root too
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey || inTextBox(target)) return;
    if (target && target.classList && target.classList.contains("lv-slider")) return; // it steps itself
    if (data.keysInside && !ev.composedPath().includes(root)) return;
    const move = { ArrowLeft: player.t - 1, ArrowRight: player.t + 1, Home: 0, End: data.T - 1 }[ev.key];
    if (move === undefined) return;
    ev.preventDefault();
    if (data.keysInside) ev.stopPropagation(); // the notebook's own shortcuts do not act on it too
    player.go(move);
  };
  // in a notebook (several players, and cells that take keys) only the keys pressed inside this player, heard
  // before the notebook hears them (Jupyter's shortcuts listen on the document, in its capture phase, and stop the
  // arrow keys there); on a page, a file, the keys pressed anywhere
  const keys = data.keysInside ? window : document;
  const capture = Boolean(data.keysInside);
  keys.addEventListener("keydown", onKey, capture);
  const onResize = () => moveCursors(player.t, data.colours);
  window.addEventListener("resize", onResize);
  const poll = setInterval(onResize, 1000); // charts drawn after the player get their cursor too
  // a phone turned, or a window narrowed past a phone's width: the diagram changes between drawing and list
  const width = window.matchMedia ? window.matchMedia(NARROW) : null;
  const onWidth = () => {
    if (mounts.get(key) !== teardown) return;
    teardown();
    mount(component);
  };
  if (width) width.addEventListener("change", onWidth);
  const teardown = () => { // once, whether Streamlit unmounts the player or new data replaces it
    if (mounts.get(key) !== teardown) return;
    mounts.delete(key);
    memory.set(key, { sig: data.sig, t: player.t });
    player.stop();
    clearTimeout(player.addrTimer);
    clearTimeout(player.liveTimer);
    cancelAnimationFrame(player.scrollFrame);
    keys.removeEventListener("keydown", onKey, capture);
    window.removeEventListener("resize", onResize);
    clearInterval(poll);
    if (width) width.removeEventListener("change", onWidth);
    if (player.waiting) window.removeEventListener("lstm-viz-katex", player.waiting);
  };
  mounts.set(key, teardown);
  teardown.go = (t) => { if (t !== player.t) player.go(t); }; // for a notebook widget whose t is set from Python
  return teardown;
}
