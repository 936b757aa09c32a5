// Installed once per page: KaTeX (for the player's equations) and the stylesheet of the player and of KaTeX.
import katex from "katex";

export default function () {
  if (!window.lstmVizKatex) {
    const style = document.createElement("style");
    style.id = "lstm-viz-player-css";
    style.textContent = __PLAYER_CSS__; // eslint-disable-line no-undef
    document.head.appendChild(style);
    window.lstmVizKatex = katex;
    window.dispatchEvent(new Event("lstm-viz-katex"));
  }
}
