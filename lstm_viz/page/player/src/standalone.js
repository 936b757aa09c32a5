// A view written as one self-contained file (lstm_viz/teach/interactive.py): KaTeX and its fonts are installed,
// the scene's text typeset, and the step player mounted inside a shadow root with its own styles, as Streamlit
// mounts it on the page. Nothing is fetched.
import renderMathInElement from "katex/contrib/auto-render";
import installKatex from "./assets.js";
import mount from "./player.js";

function start() {
  installKatex();
  for (const el of document.querySelectorAll(".math-text")) {
    renderMathInElement(el, { delimiters: [{ left: "$", right: "$", display: false }], throwOnError: false,
      strict: false });
  }
  const host = document.getElementById("lv-host");
  const shadow = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = document.getElementById("lv-css").textContent;
  shadow.appendChild(style);
  const data = JSON.parse(document.getElementById("lv-data").textContent);
  mount({ data, parentElement: shadow, setTriggerValue: () => {}, key: "standalone" });
  document.body.dataset.ready = "1";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
