"""A view as one self-contained interactive HTML file: the step player, its step data, KaTeX and its fonts, all
inline, so that the file steps through the sequence from a USB stick, an LMS or an ``<iframe srcdoc>`` with no
server and no network request.

The player is the page's own bundle (``player/dist``) and its data the page's own (``stepdata.step_data``, as
``teach/handout`` sends it for a step scene); the charts of the over-time, gradient and intervention views are the
page's own figures (``teach/panels``, the Plotly figures the page draws), drawn in the file by the Plotly bundle
inlined into it (``dist/plotly.min.js``). The gradient and intervention views' knobs come with their sweeps (the
page's own knobs component). A scene's try-this buttons each open the view at the button's settings, written into
the file beside the scene's own (a button for a view the file does not hold says so). The file's script
(``dist/standalone.js``) only mounts the player the way Streamlit does and hands each figure to Plotly; the
other views' widgets are not in the file.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from urllib.parse import parse_qs

from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import LANGS, tr
from lstm_viz.notation import colour_of
from lstm_viz.paths import PLAYER_DIST
from lstm_viz.teach import lessons, panels, settings, sweeps
from lstm_viz.teach.choice import models_for, plain_loaders
from lstm_viz.teach.stepdata import WINDOW, step_data

WRITTEN = ("step", "time", "grad", "intervene")  # the views a file holds (the others: the page only)

CSS = """
body { font-family: "Source Sans Pro", "Noto Sans CJK SC", sans-serif; margin: 0; color: INK; background: PAPER;
  line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; } .lead { margin: 0 0 10px; }
.question { background: QUESTION; padding: 8px 12px; border-radius: 6px; }
details { margin: 8px 0; } summary { cursor: pointer; min-height: 24px; }
code { white-space: pre-wrap; word-break: break-all; }
.lv-tries { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 12px; }
.lv-tries button { font: inherit; min-height: 36px; padding: 4px 14px; border: 1px solid WIRE; border-radius: 6px;
  background: PAPER; color: INK; cursor: pointer; }
.lv-tries button[aria-pressed="true"] { background: SELECTED; border-color: SELECTED; color: PAPER; }
.lv-tries button:focus-visible { outline: 3px solid SELECTED; outline-offset: 2px; }
.lv-tries button:disabled { cursor: default; }
"""
for _name in ("ink", "paper", "question", "wire", "selected"):  # each upper-case name above is its colour
    CSS = CSS.replace(_name.upper(), colour_of(_name))


def _script(text: str) -> str:
    """Text for inside a <script> element: no sequence in it can end the element early."""
    return text.replace("</", "<\\/")


def _payload(cls: str, text: str) -> str:
    """JSON for the file's script, gzipped and in base64 (the browser's own DecompressionStream reads it): a view's
    data and charts about half their size or less (the float arrays inside are already base64; the labels and
    repeated text shrink most), and no character of the text can end the element early."""
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")
    return f'<script type="application/gzip" class="{cls}">{packed}</script>'


def unpacked(payload: str) -> str:
    """The JSON text of a ``_payload`` script's content (for tests and tools that read a file)."""
    return gzip.decompress(base64.b64decode(payload)).decode("utf-8")


def step_page_data(ctx: panels.Context, compact: bool = False) -> dict:
    """The player's data for every step of ``ctx``'s sequence (the page's own, in one window), opening at its step,
    with no page address to keep: for a file or a notebook widget. ``compact``: the time control alone, as the
    over-time view has it."""
    T = ctx.trace.steps
    if T > WINDOW:
        raise ValueError(f"an interactive file holds at most {WINDOW} steps; this sequence has {T}")
    data = step_data(ctx.model, ctx.trace, None if compact else ctx.flow(), tuple(ctx.enc.tokens),
                     tuple(bool(u) for u in ctx.enc.unknown), ctx.probs, ctx.layer, ctx.unit, 0, ctx.s.lang,
                     ctx.loss_text, sig=settings.key(ctx.s, "lang", base=ctx.loss_key), window=T, compact=compact)
    return dict(data, t=int(min(ctx.t, T - 1)), embedded=True, present=False, lead=None)


def view_parts(ctx: panels.Context) -> tuple[str | None, list[panels.Chart], list[str]]:
    """What the file shows of ``ctx``'s view, in the page's order: the player ("full", "compact"), the gradient
    or intervention view's knobs and charts ("knobs") or None, the view's other charts (the page's own panels),
    and its lines of plain text. ValueError for a view not written this way or one the page would refuse."""
    view = ctx.s.view
    if view == "step":
        return "full", [], []
    if view == "time":
        units = tuple(ctx.s.units) if ctx.s.units else tuple(range(min(3, ctx.trace.hidden_size)))
        p = panels.time_panel(ctx, None, units)
        order = [p.heatmaps, p.text] if p.text_first else [p.heatmaps]
        order += [p.lines] + ([] if p.text_first else [p.text]) + [p.saturation]
        return "compact", [c for c in order if c is not None], []
    if view == "grad":  # its two charts and their knobs are the knobs component's (``knob_data``)
        p = panels.grad_panel(ctx, GRADIENT_PASSES)
        if p.refusal:
            raise ValueError(p.refusal)
        return "knobs", [c for c in (p.unrolled,) if c is not None], []
    if view == "intervene":  # its two charts, its lines and its clamp knob are the knobs component's too
        p = panels.intervention_panel(ctx)
        if p.refusal or p.flow_error:
            raise ValueError(p.refusal or p.flow_error)
        return "knobs", [], []
    raise ValueError(f"view={view}: only the {', '.join(WRITTEN)} views are written as interactive files; this "
                     "one is on the page only")


def _section(ctx: panels.Context) -> tuple[str, set[str]]:
    """The view of ``ctx`` as the inside of a file's section (HTML), and what it needs of the file's shared parts:
    "player" (the player's styles), "knobs" (the knobs' styles) and "plotly"."""
    lead, charts, lines = view_parts(ctx)
    parts = ['<div class="lv-host"></div>', *(f'<p>{html.escape(line)}</p>' for line in lines)]
    parts += [_payload("lv-chart", c.figure().to_json()) for c in charts]
    needs = {"plotly"} if charts else set()
    if lead == "knobs":  # the knobs and their sweeps, as the page sends them: every swept value drawn in the file
        base, knobs = sweeps.sweeps(ctx)
        data = sweeps.component_data(ctx, base, [dict(k.__dict__) for k in knobs], embedded=True)
        parts.append(_payload("lv-knobs", json.dumps(data, ensure_ascii=False)))
        needs |= {"knobs", "plotly"}
    elif lead is not None:
        data = step_page_data(ctx, compact=lead == "compact")
        parts.append(_payload("lv-data", json.dumps(data, ensure_ascii=False)))
        needs.add("player")
    return "".join(parts), needs


def page(ctx: panels.Context, heading: str, body: str = "", tries: tuple = ()) -> str:
    """The file for ``ctx``'s view at its step: ``heading`` and ``body`` are HTML the caller escaped. ``tries``: a
    scene's try-this buttons as (label, the context the button opens, or None for a view only the page shows);
    each opens its view in place of the one shown, and a first button goes back to the scene as it opened."""
    lang = ctx.s.lang
    sections: list[str] = []  # a view written once however many buttons open it
    needs: set[str] = set()

    def section_of(c: panels.Context) -> int:
        inner, need = _section(c)
        if inner not in sections:
            sections.append(inner)
            needs.update(need)
        return sections.index(inner)

    opening = section_of(ctx)
    opens_with_charts = "plotly" in needs
    buttons = []
    if tries:
        buttons.append(_try_button(tr("try_opening", lang), opening, pressed=True))
        for label, c in tries:
            buttons.append(_try_button(label, None if c is None else section_of(c), lang))
    group = (f'<div class="lv-tries" role="group" aria-label="{html.escape(tr("try_this", lang))}">'
             f'{"".join(buttons)}</div>') if buttons else ""
    views = "".join(f'<section class="lv-view" data-view="{i}"{" hidden" if i != opening else ""}>{inner}</section>'
                    for i, inner in enumerate(sections))
    scripts = []
    if "player" in needs:
        scripts.append(f'<script type="text/plain" id="lv-css">{_script(_dist("player.css"))}</script>')
    if "knobs" in needs:
        scripts.append(f'<style>{_dist("knobs.css")}</style>')
    if "plotly" in needs:  # run at once when the opening view draws charts; else when a button's view first does
        kind = "" if opens_with_charts else ' type="text/plain" id="lv-plotly"'
        scripts.append(f"<script{kind}>{_script(_dist('plotly.min.js'))}</script>")
    scripts.append(f"<script>{_script(_dist('standalone.js'))}</script>")
    return _document(lang, f'<main>{heading}{group}{views}{body}</main>{"".join(scripts)}')


def _try_button(label: str, view: int | None, lang: str = "en", pressed: bool = False) -> str:
    """A try-this button that shows section ``view``; None: a view the file does not hold, said on the button."""
    if view is None:
        return (f'<button type="button" disabled>{html.escape(label)} '
                f'<small>({html.escape(tr("try_page_only", lang))})</small></button>')
    return (f'<button type="button" data-view="{view}" aria-pressed="{"true" if pressed else "false"}">'
            f'{html.escape(label)}</button>')


def _document(lang: str, body: str, style: str = "") -> str:
    """A whole page around ``body`` (HTML the caller escaped), in ``lang``, with the files' own style."""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>lstm_viz — {html.escape(tr("title", lang))}</title><style>{CSS}{style}</style></head>'
            f'<body>{body}</body></html>')


def _dist(name: str) -> str:
    return (PLAYER_DIST / name).read_text(encoding="utf-8")


def for_address(query: str, lang: str | None = None) -> str:
    """The file of a page address (``"task=brackets&text=f(x)"``, with or without the leading ``?``). Settings
    the address gets wrong are refused by name, as the page names them."""
    s, notices = settings.parse(parse_qs(query.lstrip("?"), keep_blank_values=True))
    if notices:  # named as the page names them, without the page's "using …": nothing is written
        raise ValueError("; ".join(n.rsplit("; using ", 1)[0] for n in notices))
    if lang is not None:
        s = s.replace(lang=_lang(lang))
    if s.source == "upload":
        raise ValueError("an address with an uploaded model cannot be written from the command line: export "
                         "that view from the page, where the file was uploaded")
    return for_context(panels.context_for(s, models_for(s, plain_loaders())))


def for_context(ctx: panels.Context) -> str:
    """The file of the view a page (or an address) shows: the title, the typed sequence, the view."""
    lang = ctx.s.lang
    heading = (f'<h1>{html.escape(tr("title", lang))}</h1>'
               f'<p class="lead">{html.escape(tr("pitch", lang))}</p>'
               f'<p>{html.escape(tr("sequence", lang))}{tr("colon", lang)}<code>{html.escape(ctx.choice.text)}'
               f'</code></p>')
    return page(ctx, heading)


def for_scene(scene_id: str, lang: str = "en") -> str:
    """The file of one lesson scene: its text and question, the expected answer and the teacher's notes folded,
    and its view as the page shows it outside presenter view (the player at the scene's step)."""
    lang = _lang(lang)
    scenes = lessons.load_lessons()
    scene = lessons.by_id(scenes, scene_id)
    if scene is None:
        raise ValueError(f"no scene {scene_id!r}; the scenes are {', '.join(sc.id for sc in scenes)}")
    loaders = plain_loaders()
    ctx = panels.scene_context(scene, lang, loaders)
    ctx = panels.with_settings(ctx, ctx.s.replace(present=False))
    tries = []
    for item in scene.tries:  # each button's settings over the scene's, as the page applies them
        s = ctx.s.replace(**item.settings)
        tries.append((item.label[lang], panels.context_for(s, models_for(s, loaders), scene=scene)
                      if s.view in WRITTEN else None))
    n = lessons.number(scenes, scene.id)
    notes = "".join(f"<li>{html.escape(p)}</li>" for p in scene.notes.get(lang, []))
    heading = (f'<h1>{tr("scene", lang)} {n}/{len(scenes)}{tr("colon", lang)}{html.escape(scene.title[lang])}</h1>'
               f'<p class="math-text">{html.escape(scene.text[lang])}</p>'
               f'<p class="question math-text"><b>{html.escape(tr("try_this", lang))}</b>{tr("colon", lang)}'
               f'{html.escape(scene.question[lang])}</p>')
    body = (f'<details><summary>{html.escape(tr("answer", lang))}</summary>'
            f'<p class="math-text">{html.escape(scene.answer.get(lang, ""))}</p></details>'
            f'<details><summary>{html.escape(tr("teacher_notes", lang))}</summary>'
            f'<ul class="math-text">{notes}</ul></details>')
    return page(ctx, heading, body, tuple(tries))


def course(lang: str = "en") -> dict[str, str]:
    """The whole course as files: ``index.html`` (the scenes in order, each linked to its file) and
    ``<scene id>.html`` for each scene. Names are the scenes' own ids."""
    lang = _lang(lang)
    scenes = lessons.load_lessons()
    files, items = {}, []
    for n, sc in enumerate(scenes, start=1):
        title = f"{n}. {html.escape(sc.title[lang])}"
        files[f"{sc.id}.html"] = for_scene(sc.id, lang)
        items.append(f'<li><a href="{html.escape(sc.id)}.html">{title}</a></li>')
    files["index.html"] = _document(
        lang, f'<main><h1>{html.escape(tr("title", lang))}</h1><p class="lead">{html.escape(tr("pitch", lang))}</p>'
              f'<ol style="list-style:none;padding:0">{"".join(items)}</ol></main>', " li { margin: 6px 0; }")
    return files


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang
