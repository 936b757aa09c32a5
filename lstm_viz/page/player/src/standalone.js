// A view written as one self-contained file (lstm_viz/teach/interactive.py): KaTeX and its fonts are installed,
// the scene's text typeset, the view's charts drawn by Plotly (inlined before this script) from the page's own
// figures, the step player mounted inside a shadow root with its own styles, as Streamlit mounts it on the page,
// and the gradient view's knobs and charts by the page's knobs component. A scene's try-this buttons each show
// another view written into the file (a <section>), mounted when it is shown. Nothing is fetched.
import installKatex from "./assets.js";
import { shadowWithStyle, typesetMathText } from "./embed.js";
import mountKnobs from "./knobs.js";
import mount from "./player.js";

let stops = []; // what the view shown now mounted: ended when another is shown
let showing = 0; // the last view asked for: a view whose data arrives after another was asked for is not mounted

// a script's JSON, written gzipped in base64 (lstm_viz/teach/interactive._payload), read by the browser's own gzip
async function read(script) {
  const bytes = Uint8Array.from(atob(script.textContent.trim()), (ch) => ch.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// Plotly, written as text when the view the file opens on has no chart: run the first time a view needs it, so
// that a step scene opens without parsing it
function plotlyNow() {
  const text = document.getElementById("lv-plotly");
  if (window.Plotly || !text) return;
  const script = document.createElement("script");
  script.textContent = text.textContent;
  document.head.appendChild(script);
}

async function drawCharts(view) { // each chart once, the first time its view is shown (Plotly measures its box)
  for (const script of view.querySelectorAll("script.lv-chart")) {
    if (script.dataset.drawn) continue;
    const fig = await read(script);
    if (view.hidden) return; // another view was asked for meanwhile: drawn when this one is shown again
    if (script.dataset.drawn) continue;
    script.dataset.drawn = "1";
    const div = document.createElement("div");
    div.className = "lv-chart";
    script.after(div);
    window.Plotly.newPlot(div, fig.data, fig.layout, { displaylogo: false, responsive: true });
  }
}

async function show(views, i) {
  showing = i;
  for (const stop of stops) if (stop) stop();
  stops = [];
  views.forEach((v, k) => { v.hidden = k !== i; });
  const view = views[i];
  if (view.querySelector("script.lv-chart, script.lv-knobs")) plotlyNow();
  const knobs = view.querySelector("script.lv-knobs");
  const data = view.querySelector("script.lv-data");
  const [knobsData, stepData] = await Promise.all([knobs && read(knobs), data && read(data), drawCharts(view)]);
  if (showing !== i) return;
  const host = view.querySelector(".lv-host");
  if (knobsData) { // the gradient and intervention views: the knobs move the charts through the sweeps in the file
    stops.push(mountKnobs({ data: knobsData, parentElement: host, setTriggerValue: () => {}, key: "standalone-knobs" }));
  }
  if (stepData) { // the views with a time control (one step, over time)
    const shadow = host.shadowRoot || shadowWithStyle(host, document.getElementById("lv-css").textContent);
    stops.push(mount({ data: stepData, parentElement: shadow, setTriggerValue: () => {}, key: "standalone" }));
  }
}

async function start() {
  installKatex();
  typesetMathText();
  const views = [...document.querySelectorAll("section.lv-view")];
  const buttons = [...document.querySelectorAll(".lv-tries button[data-view]")];
  for (const b of buttons) {
    b.addEventListener("click", () => {
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === b));
      show(views, parseInt(b.dataset.view, 10));
    });
  }
  await show(views, Math.max(0, views.findIndex((v) => !v.hidden)));
  document.body.dataset.ready = "1";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
