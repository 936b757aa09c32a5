// The handout's maths: KaTeX renders every $...$ of the scene texts when the file opens (no network needed).
import renderMathInElement from "katex/contrib/auto-render";

document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll(".math-text")) {
    renderMathInElement(el, { delimiters: [{ left: "$", right: "$", display: false }], throwOnError: false,
      strict: false });
  }
  document.body.dataset.mathDone = "1";
});
