// The handout's maths and diagrams, drawn when the file opens (no network needed): KaTeX renders every $...$ of
// the scene texts, and each step scene's cell diagram is drawn from the step player's own data by the player's own
// renderer (diagram.js).
import { Diagram } from "./diagram.js";
import { typesetMathText } from "./embed.js";

document.addEventListener("DOMContentLoaded", () => {
  typesetMathText();
  for (const data of document.querySelectorAll("script.lv-diagram")) {
    const d = JSON.parse(data.textContent);
    const diagram = new Diagram(d);
    data.after(diagram.build());
    diagram.draw(d.t);
  }
  document.body.dataset.mathDone = "1";
});
