// Installed once per page: KaTeX (for the player's equations) and its fonts.
import katex from "katex";

export default function () {
  if (!window.lstmVizKatex) {
    const style = document.createElement("style");
    style.id = "lstm-viz-katex-fonts";
    style.textContent = __FONT_FACES__; // eslint-disable-line no-undef
    document.head.appendChild(style);
    window.lstmVizKatex = katex;
    window.dispatchEvent(new Event("lstm-viz-katex"));
  }
}
