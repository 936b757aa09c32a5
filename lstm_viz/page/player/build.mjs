// Builds dist/assets.js (KaTeX with its fonts inlined, and the player's styles, installed once per page) and
// dist/player.js (the step player). Both are committed, so the page runs on a machine without Node;
// CI rebuilds them and fails if the committed files differ.
import { readFileSync, writeFileSync } from "node:fs";
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
const css = katexCss + "\n" + readFileSync(join(here, "src", "player.css"), "utf8");

const common = { banner: { js: "// built from src/ by build.mjs: do not edit" }, bundle: true, format: "esm", minify: true, legalComments: "none", target: "es2020", write: false };
const assets = await esbuild.build({
  ...common, entryPoints: [join(here, "src", "assets.js")], define: { __PLAYER_CSS__: JSON.stringify(css) },
});
const player = await esbuild.build({ ...common, entryPoints: [join(here, "src", "player.js")] });
writeFileSync(join(here, "dist", "assets.js"), assets.outputFiles[0].text);
writeFileSync(join(here, "dist", "player.js"), player.outputFiles[0].text);
console.log("dist/assets.js", assets.outputFiles[0].text.length, "bytes; dist/player.js",
  player.outputFiles[0].text.length, "bytes");
