// Builds dist/assets.js (KaTeX and its fonts, inlined, installed once per page), dist/player.js (the step player)
// and dist/player.css (its styles and KaTeX's, inside the player's shadow root); dist/handout.js and .css for the
// printable handout. Both are committed, so the page runs on a machine without Node;
// CI rebuilds them and fails if the committed files differ.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const katexDir = join(here, "node_modules", "katex", "dist");

// KaTeX's stylesheet with every font as a woff2 data URI (no request leaves the page: classrooms are offline).
let katexCss = readFileSync(join(katexDir, "katex.min.css"), "utf8");
katexCss = katexCss.replace(/src:url\(fonts\/([\w-]+)\.woff2\) format\("woff2"\)[^;}]*/g, (_, name) => {
  const font = readFileSync(join(katexDir, "fonts", `${name}.woff2`)).toString("base64");
  return `src:url(data:font/woff2;base64,${font}) format("woff2")`;
});
if (/url\(fonts\//.test(katexCss)) throw new Error("a KaTeX font was not inlined");
// @font-face rules go to the document (fonts declared inside a shadow root are not used); the rest of KaTeX's
// stylesheet and the player's own go inside the player's shadow root, so that the page's styles neither reach
// its thousands of equation spans nor cost a style recalculation of the whole page at every step
const fontFaces = katexCss.match(/@font-face\{[^}]*\}/g).join("\n");
const css = "/* built from src/ by build.mjs: do not edit */\n" + katexCss.replace(/@font-face\{[^}]*\}/g, "") + "\n" +
  readFileSync(join(here, "src", "player.css"), "utf8");

const common = { banner: { js: "// built from src/ by build.mjs: do not edit" }, bundle: true, format: "esm", minify: true, legalComments: "none", target: "es2020", write: false };
const assets = await esbuild.build({
  ...common, entryPoints: [join(here, "src", "assets.js")], define: { __FONT_FACES__: JSON.stringify(fontFaces) },
});
const player = await esbuild.build({ ...common, entryPoints: [join(here, "src", "player.js")] });
writeFileSync(join(here, "dist", "assets.js"), assets.outputFiles[0].text);
writeFileSync(join(here, "dist", "player.js"), player.outputFiles[0].text);
writeFileSync(join(here, "dist", "player.css"), css);
// the gradient view's knobs and charts (knobs.js, its styles in the page) and Plotly, installed once per page
const knobs = await esbuild.build({ ...common, entryPoints: [join(here, "src", "knobs.js")] });
writeFileSync(join(here, "dist", "knobs.js"), knobs.outputFiles[0].text);
const knobsCss = await esbuild.build({ ...common, banner: { css: "/* built from src/ by build.mjs: do not edit */" },
  entryPoints: [join(here, "src", "knobs.css")], format: undefined, target: undefined });
writeFileSync(join(here, "dist", "knobs.css"), knobsCss.outputFiles[0].text);
const plotlyAssets = await esbuild.build({ ...common, entryPoints: [join(here, "src", "plotly_assets.js")] });
writeFileSync(join(here, "dist", "plotly_assets.js"), plotlyAssets.outputFiles[0].text);
// one view as a self-contained file (python -m lstm_viz export): KaTeX, the fonts and the player in one script
const standalone = await esbuild.build({
  ...common, format: "iife", entryPoints: [join(here, "src", "standalone.js")],
  define: { __FONT_FACES__: JSON.stringify(fontFaces) },
});
writeFileSync(join(here, "dist", "standalone.js"), standalone.outputFiles[0].text);
// the notebook widget's ES module (lstm_viz.show): KaTeX, the fonts and the player, no CDN
const widget = await esbuild.build({
  ...common, entryPoints: [join(here, "src", "widget.js")], define: { __FONT_FACES__: JSON.stringify(fontFaces) },
});
writeFileSync(join(here, "dist", "widget.js"), widget.outputFiles[0].text);
// the printable handout (python -m lstm_viz handout): KaTeX's auto-render and its stylesheet with the fonts inlined
const handout = await esbuild.build({ ...common, format: "iife", entryPoints: [join(here, "src", "handout.js")] });
writeFileSync(join(here, "dist", "handout.js"), handout.outputFiles[0].text);
writeFileSync(join(here, "dist", "handout.css"), katexCss);
console.log("dist/assets.js", assets.outputFiles[0].text.length, "bytes; dist/player.js",
  player.outputFiles[0].text.length, "bytes");
// Plotly for the charts of an exported view (lstm_viz/teach/interactive.py): the cartesian bundle (scatter, bars,
// heatmaps), the same figures the page's charts are, vendored from the locked npm package
copyFileSync(join(here, "node_modules", "plotly.js-cartesian-dist-min", "plotly-cartesian.min.js"),
  join(here, "dist", "plotly.min.js"));
// reveal.js for the example deck (examples/deck), vendored from the locked npm package: the deck needs no CDN
const deckVendor = join(here, "..", "..", "..", "examples", "deck", "vendor");
mkdirSync(deckVendor, { recursive: true });
for (const name of ["reveal.js", "reveal.css"]) {
  copyFileSync(join(here, "node_modules", "reveal.js", "dist", name), join(deckVendor, name));
}
