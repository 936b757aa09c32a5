// A view written as one self-contained file (lstm_viz/teach/interactive.py): KaTeX and its fonts are installed,
// the scene's text typeset, the view's charts drawn by Plotly (inlined before this script) from the page's own
// figures, the step player mounted inside a shadow root with its own styles, as Streamlit mounts it on the page,
// and the gradient view's knobs and charts by the page's knobs component. Nothing is fetched.
import installKatex from "./assets.js";
import { shadowWithStyle, typesetMathText } from "./embed.js";
import mountKnobs from "./knobs.js";
import mount from "./player.js";

function start() {
  installKatex();
  typesetMathText();
  for (const script of document.querySelectorAll("script.lv-chart")) {
    const fig = JSON.parse(script.textContent);
    const div = document.createElement("div");
    div.className = "lv-chart";
    script.after(div);
    window.Plotly.newPlot(div, fig.data, fig.layout, { displaylogo: false, responsive: true });
  }
  const knobs = document.getElementById("lv-knobs");
  if (knobs) { // the gradient view: its knobs move its two charts through the sweeps written into the file
    mountKnobs({ data: JSON.parse(knobs.textContent), parentElement: document.getElementById("lv-host"),
      setTriggerValue: () => {}, key: "standalone-knobs" });
  }
  const data = document.getElementById("lv-data");
  if (data) { // the views with a time control (one step, over time)
    const shadow = shadowWithStyle(document.getElementById("lv-host"), document.getElementById("lv-css").textContent);
    mount({ data: JSON.parse(data.textContent), parentElement: shadow, setTriggerValue: () => {}, key: "standalone" });
  }
  document.body.dataset.ready = "1";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
