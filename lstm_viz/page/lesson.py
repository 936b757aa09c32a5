"""The lesson header (scene title, text, question, try-this buttons, notes, previous/next) and presenter view.

Presenter view is built for a 16:9 projector at 1280×720: no sidebar, the scene in a narrow left column (text
folded away, the question and its buttons visible) and the scene's key figure on the right, whole on screen.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach import lessons

from . import state

# static CSS only, no user text ever goes here: no sidebar or header, less padding, larger type
# every layout: a scene's title (its own text, never user text) wraps between words, and nothing overlaps it
TITLE_CSS = """<style>
[data-testid='stMain'] h3 { word-break: keep-all; overflow-wrap: anywhere; }
[data-testid='stMain'] [data-testid='stHeading'] [data-testid='stMarkdownContainer'] { margin-bottom: 0 !important; }
</style>"""
# WCAG 2.5.8 on a phone: Streamlit's help icons are 16 px buttons (24 px here); a heading's link icon, invisible
# until hovered and of no use on this page, is a 16 px target a thumb finds by accident (gone)
TARGETS = """
[data-testid='stTooltipIcon'] button { min-width: 24px; min-height: 24px; }
[data-testid='stHeaderActionElements'] { display: none !important; }
"""
# the normal page: the title and its line take little height, so that the model at work is on the first screen
# (the header's band is see-through, to the eye and the mouse: on a wide screen its buttons are beside the title;
# a style element's own row would take a gap of the page's column: rows that hold only a style are not laid out;
# the element gap is a little tighter than Streamlit's 1rem)
PAGE_CSS = """<style>""" + TARGETS + """
[data-testid='stMainBlockContainer'], .block-container { padding-top: 1.2rem !important; }
header[data-testid='stHeader'] { background: transparent !important; }
header[data-testid='stHeader'], header[data-testid='stHeader'] * { pointer-events: none !important; }
header[data-testid='stHeader'] button, header[data-testid='stHeader'] button *, header[data-testid='stHeader'] a {
  pointer-events: auto !important; }
@media (max-width: 640px) {  /* a phone: the header's buttons sit over the top band: the title starts below them */
  [data-testid='stMainBlockContainer'], .block-container { padding-top: 3.4rem !important; } }
[data-testid='stMain'] [data-testid='stElementContainer']:has(> [data-testid='stMarkdown']
  [data-testid='stMarkdownContainer'] > style:only-child) { display: none; }
[data-testid='stMain'] [data-testid='stVerticalBlock'] { gap: 0.75rem; }
[data-testid='stMain'] h1 { font-size: clamp(1.3rem, 4vw, 1.6rem) !important; padding: 0 !important;
  line-height: 1.25 !important; margin: 0 !important; }
[data-testid='stMain'] h1 .lv-pitch { font-size: 0.95rem; font-weight: 400; opacity: 0.85; margin-left: 0.6rem;
  white-space: normal; }
</style>"""
PRESENTER_CSS = """<style>""" + TARGETS + """
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], header { display: none !important; }
[data-testid='stMainBlockContainer'], .block-container { padding: 0.6rem 1.2rem 1rem 1.2rem !important;
  max-width: 100% !important; }
[data-testid='stMain'] { font-size: 18px; }
[data-testid='stMain'] p, [data-testid='stMain'] li, [data-testid='stMain'] button p,
[data-testid='stMain'] [data-testid='stMarkdownContainer'] { font-size: 18px !important; }
[data-testid='stMain'] h3 { font-size: 24px !important; line-height: 1.3 !important; padding: 0 !important;
  margin: 0 0 0.4rem 0 !important; }
[data-testid='stMain'] [data-testid='stVerticalBlock'] { gap: 0.45rem; }
[data-testid='stMain'] [data-testid='stTable'] td, [data-testid='stMain'] [data-testid='stTable'] th {
  font-size: 18px !important; }
</style>"""


def scene_of(scenes: list[lessons.Scene]) -> lessons.Scene | None:
    s = state.current()
    return lessons.by_id(scenes, s.scene) if s.scene else None


def render(scenes: list[lessons.Scene]) -> None:
    s = state.current()
    lang = s.lang
    scene = scene_of(scenes)
    if s.present:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
        c1, c2 = st.columns(2)
        c1.button(tr("exit_presenter", lang), key="exit_presenter", on_click=lambda: state.change(present=False),
                  use_container_width=True)
        c2.button("中文" if lang == "en" else "English", key="switch_lang",
                  on_click=lambda: state.change(lang="zh" if lang == "en" else "en"))
    if not s.present:  # the title and, with no scene, the line that says what the page does, on one line
        st.markdown(PAGE_CSS, unsafe_allow_html=True)
        pitch = "" if scene is not None else f' <span class="lv-pitch">{escape(tr("pitch", lang))}</span>'
        st.markdown(f"<h1>{escape(tr('title', lang))}{pitch}</h1>", unsafe_allow_html=True)
    if scene is None:
        return
    n = lessons.number(scenes, scene.id)
    st.markdown(TITLE_CSS, unsafe_allow_html=True)
    # a break opportunity after the colon: Chinese titles break only between the words their scene file marks
    st.subheader(f"{tr('scene', lang)} {n}/{len(scenes)}{tr('colon', lang)}\u200b{scene.title[lang]}")
    if s.present:  # the text folds away; the question and its buttons stay on screen
        with st.expander(tr("scene_text", lang), expanded=False):
            st.markdown(scene.text[lang])
    else:
        st.markdown(scene.text[lang])
    st.info(f"**{tr('try_this', lang)}**{tr('colon', lang)}{scene.question[lang]}")
    if scene.tries:  # buttons that set exactly what the question asks for: no sidebar needed
        cols = st.columns(min(len(scene.tries), 2 if s.present else 5))
        for k, item in enumerate(scene.tries):
            cols[k % len(cols)].button(item.label[lang], key=f"try_{k}", on_click=state.change,
                                       kwargs=dict(item.settings), use_container_width=True, wrap=True)
    ids = [sc.id for sc in scenes]
    i = ids.index(scene.id)
    c1, c2 = st.columns(2) if s.present else st.columns([1.4, 1.4, 3])[:2]
    short = "_short" if s.present else ""  # the narrow column of presenter view
    c1.button(tr("prev_scene" + short, lang), disabled=i == 0, key="prev_scene", shortcut="PageUp",
              on_click=lambda: state.apply_scene(scenes, ids[i - 1]), use_container_width=s.present)
    c2.button(tr("next_scene" + short, lang), disabled=i == len(ids) - 1, key="next_scene", shortcut="PageDown",
              on_click=lambda: state.apply_scene(scenes, ids[i + 1]), use_container_width=s.present)
    if scene.answer:
        with st.expander(tr("teacher_notes", lang), expanded=False):
            st.markdown(f"**{tr('answer', lang)}**{tr('colon', lang)}{scene.answer[lang]}")
            st.markdown("\n".join(f"- {point}" for point in scene.notes.get(lang, [])))
