// What every page outside Streamlit that shows the player's work shares: the scene texts' $…$ typeset by KaTeX
// (the handout, an exported file) and the player's own shadow root with its styles (an exported file, a notebook
// widget), as Streamlit gives a components v2 component.
import renderMathInElement from "katex/contrib/auto-render";

export function typesetMathText() {
  for (const el of document.querySelectorAll(".math-text")) {
    renderMathInElement(el, { delimiters: [{ left: "$", right: "$", display: false }], throwOnError: false,
      strict: false });
  }
}

export function shadowWithStyle(el, css) {
  const shadow = el.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = css;
  shadow.appendChild(style);
  return shadow;
}
