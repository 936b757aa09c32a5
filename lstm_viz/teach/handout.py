"""The lessons as one printable, self-contained HTML file: each scene on its own page with its text, question,
expected answer, speaking points and key figure as a static image (``python -m lstm_viz handout``).

Each key figure is what the page draws for the scene, from the page's own panel for its view: the Plotly charts
exported to SVG by Kaleido, which drives a local Chromium, and the cell diagram drawn from the step player's own data
by the player's own renderer when the file opens. Maths in the texts is typeset by KaTeX when the file opens too; the
scripts, styles and fonts are inside the file, so it opens offline.
"""

from __future__ import annotations

import html
import json

from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import LANGS, tr
from lstm_viz.notation import colour_of
from lstm_viz.paths import PLAYER_DIST
from lstm_viz.teach import figures, lessons, panels
from lstm_viz.teach.choice import plain_loaders
from lstm_viz.teach.stepdata import step_data, window_of


def key_chart(scene: lessons.Scene, lang: str) -> panels.Chart | None:
    """The chart a scene's presenter view leads with, from the page's own panel for its view (None for the step
    and parameters views, which lead with the cell diagram and the table)."""
    return _key_chart(panels.scene_context(scene, lang, plain_loaders()))


def _key_chart(ctx: panels.Context) -> panels.Chart | None:
    view = ctx.s.view
    if view == "time":
        return panels.time_panel(ctx).heatmaps
    if view == "intervene":
        return panels.intervention_panel(ctx).traces
    if view == "grad":
        panel = panels.grad_panel(ctx, GRADIENT_PASSES)
        return panel.compare if ctx.figure.get("chart") == "compare" else panel.gradients
    return None


def key_figure(scene: lessons.Scene, lang: str) -> str:
    """The scene's key figure as inline SVG (or an HTML table): the page's own panel, drawn as a static image."""
    ctx = panels.scene_context(scene, lang, plain_loaders())
    chart = _key_chart(ctx)
    if chart is not None:
        fig = chart.figure()
        fig.update_layout(width=900, height=min(fig.layout.height or 420, 520))
        return figures.image(fig, "svg").decode("utf-8")
    if ctx.s.view == "params":
        rows = panels.params_rows(ctx)
        head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{v:,}</td>" if isinstance(v, int) else f"<td>{html.escape(v)}</td>"
                                        for v in r.values()) + "</tr>" for r in rows)
        return f"<table><tr>{head}</tr>{body}</table>"
    return diagram_data(ctx)


def diagram_data(ctx: panels.Context) -> str:
    """The step view's key figure: the step player's own data for the scene (stepdata.step_data, as the page sends
    it) at the scene's step, which the handout's script draws with the player's own diagram renderer when the file
    opens."""
    flow = ctx.flow()
    lo, _ = window_of(ctx.trace.steps, ctx.t)
    data = step_data(ctx.model, ctx.trace, flow, tuple(ctx.enc.tokens), tuple(bool(u) for u in ctx.enc.unknown),
                     ctx.probs, ctx.layer, ctx.unit, lo, ctx.s.lang, ctx.loss_text, sig=ctx.s.scene)
    text = json.dumps({**data, "t": ctx.t}, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" class="lv-diagram">{text}</script>'


# one A4 page a scene: the scene's words keep their size, and its figure gives up height where they need it
CSS = """
body { font-family: "Noto Sans CJK SC", "Source Sans Pro", sans-serif; margin: 0; color: INK; }
.scene { padding: 14mm 16mm; break-after: page; page-break-after: always; height: 297mm; box-sizing: border-box;
  display: flex; flex-direction: column; overflow: hidden; }
.scene > * { flex: 0 0 auto; }
.scene > .figure { flex: 0 1 auto; min-height: 40mm; display: flex; flex-direction: column; }
.scene:last-child { break-after: auto; }
h1 { font-size: 20pt; margin: 0 0 4mm; } h2 { font-size: 13pt; margin: 4mm 0 1mm; }
p, li { font-size: 11pt; line-height: 1.45; }
.figure svg { width: 100%; height: auto; max-height: min(120mm, 100%); min-height: 0; flex: 0 1 auto; }
.question { background: QUESTION; padding: 3mm 4mm; border-radius: 2mm; }
table { border-collapse: collapse; } td, th { border: 1px solid LIMIT; padding: 2mm 4mm; }
@page { size: A4; margin: 0; }
""".replace("INK", colour_of("ink")).replace("QUESTION", colour_of("question")).replace("LIMIT", colour_of("limit"))


def build(lang: str = "en") -> str:
    """The whole handout in one language."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    scenes = lessons.load_lessons()
    parts = []
    for n, sc in enumerate(scenes, start=1):
        notes = "".join(f"<li>{html.escape(p)}</li>" for p in sc.notes.get(lang, []))
        parts.append(
            f'<section class="scene" id="{html.escape(sc.id)}"><h1>{tr("scene", lang)} {n}/{len(scenes)}'
            f'{tr("colon", lang)}{html.escape(sc.title[lang])}</h1>'
            f'<p class="math-text">{html.escape(sc.text[lang])}</p>'
            f'<div class="figure">{key_figure(sc, lang)}</div>'
            f'<p class="question math-text"><b>{tr("try_this", lang)}</b>{tr("colon", lang)}'
            f'{html.escape(sc.question[lang])}</p>'
            f'<h2>{tr("answer", lang)}</h2><p class="math-text">{html.escape(sc.answer.get(lang, ""))}</p>'
            f'<h2>{tr("teacher_notes", lang)}</h2><ul class="math-text">{notes}</ul></section>')
    script = (PLAYER_DIST / "handout.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    katex_css = (PLAYER_DIST / "handout.css").read_text(encoding="utf-8")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>lstm_viz — '
            f'{tr("title", lang)}</title><style>{katex_css}{CSS}</style><script>{script}</script></head>'
            f'<body>{"".join(parts)}</body></html>')
