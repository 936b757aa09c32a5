// The handout's maths and diagrams, drawn when the file opens (no network needed): KaTeX renders every $...$ of
// the scene texts, and each step scene's cell diagram is drawn from the step player's own data by the player's own
// renderer (diagram.js).
import renderMathInElement from "katex/contrib/auto-render";
import { Diagram } from "./diagram.js";

document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll(".math-text")) {
    renderMathInElement(el, { delimiters: [{ left: "$", right: "$", display: false }], throwOnError: false,
      strict: false });
  }
  for (const data of document.querySelectorAll("script.lv-diagram")) {
    const d = JSON.parse(data.textContent);
    const diagram = new Diagram(d);
    data.after(diagram.build());
    diagram.draw(d.t);
  }
  document.body.dataset.mathDone = "1";
});
