"""The lessons as one printable, self-contained HTML file: each scene on its own page with its text, question,
expected answer, speaking points and key figure as a static image (``python -m lstm_viz handout``).

Each key figure is what the page draws for the scene (the same model choice, the same figure builders): the cell
diagram at the scene's step as SVG, and the Plotly charts exported to SVG by Kaleido, which drives a local
Chromium. Maths in the texts is typeset by KaTeX when the file opens; its script, styles and fonts are inside the
file, so it opens offline.
"""

from __future__ import annotations

import html

import numpy as np

from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import tr
from lstm_viz.notation import DIV_SCALE, SEQ_SCALE, colour_of
from lstm_viz.paths import PLAYER_DIST
from lstm_viz.teach import diagram, explain, figures, lessons, panels, readout
from lstm_viz.teach.choice import plain_loaders

S = 64  # pixels per diagram unit, as in the step player


def _rgb(stops, frac: float) -> str:
    """The colour of ``frac`` on a Plotly scale ([[f, "rgb(r, g, b)"], ...]), interpolated as Plotly does."""
    frac = float(np.clip(frac if np.isfinite(frac) else 0.5, 0, 1))
    for (f0, c0), (f1, c1) in zip(stops, stops[1:]):
        if frac <= f1:
            a = (frac - f0) / ((f1 - f0) or 1)
            v0, v1 = (np.array([float(x) for x in c.strip("rgb()").split(",")]) for c in (c0, c1))
            return "rgb({},{},{})".format(*np.round(v0 + (v1 - v0) * a).astype(int))
    return stops[-1][1]


def diagram_svg(layout: dict, series: dict, t: int, top: str = "") -> str:
    """The cell diagram at step t as a static SVG (the step player draws the same layout in the browser)."""
    x0, y0, x1, y1 = layout["view"]
    X, Y = (lambda x: (x - x0) * S), (lambda y: (y1 - y) * S)
    scales = {"seq": figures.scale_stops(SEQ_SCALE), "div": figures.scale_stops(DIV_SCALE)}

    def text(s: str) -> str:
        s = explain.PLACEHOLDER.sub(lambda m: top if m.group(2) == "label" else
                                    f"{float(series[m.group(1)][t]):{m.group(2)}}", s)
        return html.escape(s)

    wire, ink = colour_of("wire"), colour_of("ink")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {(x1 - x0) * S} {(y1 - y0) * S}" '
           f'font-family="sans-serif"><defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           f'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{wire}"/></marker></defs>']
    for w in layout["wires"]:
        pts = " ".join(f"{X(x)},{Y(y)}" for x, y in w["pts"])
        out.append(f'<polyline points="{pts}" fill="none" stroke="{wire}" stroke-width="2.5"'
                   + (' marker-end="url(#a)"' if w["arrow"] else "") + "/>")
    for b in layout["boxes"]:
        v = float(series[b["value"]][t])
        fill = _rgb(scales[b["scale"]], v if b["scale"] == "seq" else (v + 1) / 2)
        r, g, bl = (int(c) for c in fill.strip("rgb()").split(","))
        colour = colour_of("light_ink") if 0.299 * r + 0.587 * g + 0.114 * bl < 140 else ink
        out.append(f'<rect x="{X(b["x"] - b["w"] / 2)}" y="{Y(b["y"] + b["h"] / 2)}" width="{b["w"] * S}" '
                   f'height="{b["h"] * S}" rx="8" fill="{fill}" stroke="{b["edge"]}" stroke-width="4"/>'
                   f'<text x="{X(b["x"])}" y="{Y(b["y"]) - 6}" text-anchor="middle" font-size="16" fill="{colour}">'
                   f'{html.escape(b["label"])}</text><text x="{X(b["x"])}" y="{Y(b["y"]) + 16}" text-anchor="middle" '
                   f'font-size="19" font-weight="bold" fill="{colour}">{v:.3f}</text>')
    for o in layout["ops"]:
        out.append(f'<ellipse cx="{X(o["x"])}" cy="{Y(o["y"])}" rx="{o["r"] * S}" ry="{0.2 * S}" '
                   f'fill="{colour_of("paper")}" stroke="{ink}"/><text x="{X(o["x"])}" y="{Y(o["y"]) + 6}" '
                   f'text-anchor="middle" font-size="18">{html.escape(o["sym"])}</text>')
        if o["note"]:
            out.append(f'<text x="{X(o["x"])}" y="{Y(o["y"] - 0.45) + 6}" text-anchor="middle" font-size="16" '
                       f'fill="{ink}">{text(o["note"])}</text>')
    for lab in layout["labels"]:
        out.append(f'<text x="{X(lab["x"])}" y="{Y(lab["y"]) + 6}" text-anchor="{lab["anchor"]}" font-size="17" '
                   f'fill="{ink}">{text(lab["text"])}</text>')
    return "".join(out) + "</svg>"


def key_chart(scene: lessons.Scene, lang: str) -> panels.Chart | None:
    """The chart a scene's presenter view leads with, from the page's own panel for its view (None for the step
    and parameters views, which lead with the cell diagram and the table)."""
    ctx = panels.scene_context(scene, lang, plain_loaders())
    view = ctx.s.view
    if view == "time":
        return panels.time_panel(ctx).heatmaps
    if view == "intervene":
        return panels.intervention_panel(ctx).traces
    if view == "grad":
        panel = panels.grad_panel(ctx, GRADIENT_PASSES)
        return panel.compare if scene.figure.get("chart") == "compare" else panel.gradients
    return None


def key_figure(scene: lessons.Scene, lang: str) -> str:
    """The scene's key figure as inline SVG (or an HTML table): the page's own panel, drawn as a static image."""
    chart = key_chart(scene, lang)
    if chart is not None:
        fig = chart.figure()
        fig.update_layout(width=900, height=min(fig.layout.height or 420, 520))
        return fig.to_image(format="svg").decode("utf-8")
    ctx = panels.scene_context(scene, lang, plain_loaders())
    if ctx.s.view == "params":
        rows = panels.params_rows(ctx)
        head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{v:,}</td>" if isinstance(v, int) else f"<td>{html.escape(v)}</td>"
                                        for v in r.values()) + "</tr>" for r in rows)
        return f"<table><tr>{head}</tr>{body}</table>"
    # the step view: the cell diagram at the scene's step, from the step player's own data
    trace = ctx.trace
    series = explain.unit_series(ctx.model.rnn, trace, None, ctx.layer, ctx.unit)
    head, shown = readout.readout_series(ctx.probs)
    series.update(shown)
    top = readout.output_names(ctx.model, ctx.probs.shape[1])[int(ctx.probs[ctx.t].argmax())] \
        if head == "classify" else ""
    return diagram_svg(diagram.layout(trace.cell, trace.nonlinearity, head, lang), series, ctx.t, top)


CSS = """
body { font-family: "Noto Sans CJK SC", "Source Sans Pro", sans-serif; margin: 0; color: INK; }
.scene { padding: 14mm 16mm; break-after: page; page-break-after: always; }
.scene:last-child { break-after: auto; }
h1 { font-size: 20pt; margin: 0 0 4mm; } h2 { font-size: 13pt; margin: 4mm 0 1mm; }
p, li { font-size: 11pt; line-height: 1.45; } .figure svg { width: 100%; height: auto; max-height: 120mm; }
.question { background: QUESTION; padding: 3mm 4mm; border-radius: 2mm; }
table { border-collapse: collapse; } td, th { border: 1px solid LIMIT; padding: 2mm 4mm; }
@page { size: A4; margin: 0; }
""".replace("INK", colour_of("ink")).replace("QUESTION", colour_of("question")).replace("LIMIT", colour_of("limit"))


def build(lang: str = "en") -> str:
    """The whole handout in one language."""
    if lang not in ("en", "zh"):
        raise ValueError(f"unknown language {lang!r}; choose en or zh")
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
