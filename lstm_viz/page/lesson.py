"""The lesson header (scene title, text, question, previous/next) and presenter view."""

from __future__ import annotations

import streamlit as st

from lstm_viz import lessons
from lstm_viz.i18n import tr

from . import state

# presenter view hides the sidebar and Streamlit's header; static CSS only, no user text ever goes here
PRESENTER_CSS = ("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
                 "header{display:none !important}</style>")


def render(scenes: list[lessons.Scene]) -> None:
    s = state.current()
    lang = s.lang
    if s.present:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
        c1, c2, _ = st.columns([1.4, 1.2, 4])
        c1.button(tr("exit_presenter", lang), key="exit_presenter", on_click=lambda: state.change(present=False))
        c2.button("中文" if lang == "en" else "English", key="switch_lang",
                  on_click=lambda: state.change(lang="zh" if lang == "en" else "en"))
    scene = lessons.by_id(scenes, s.scene) if s.scene else None
    st.title(tr("title", lang))
    if scene is None:
        if not s.present:
            st.caption(tr("pitch", lang))
        return
    n = lessons.number(scenes, scene.id)
    st.subheader(f"{tr('scene', lang)} {n}/{len(scenes)}: {scene.title[lang]}")
    st.markdown(scene.text[lang])
    st.info(f"**{tr('try_this', lang)}:** {scene.question[lang]}")
    if scene.tries:  # buttons that set exactly what the question asks for: no sidebar needed
        cols = st.columns(len(scene.tries) + 1)
        for k, (col, item) in enumerate(zip(cols, scene.tries)):
            col.button(item.label[lang], key=f"try_{k}", on_click=state.change, kwargs=dict(item.settings))
    if scene.answer:
        with st.expander(tr("teacher_notes", lang), expanded=False):
            st.markdown(f"**{tr('answer', lang)}:** {scene.answer[lang]}")
            st.markdown("\n".join(f"- {point}" for point in scene.notes.get(lang, [])))
    ids = [sc.id for sc in scenes]
    i = ids.index(scene.id)
    c1, c2, _ = st.columns([1.4, 1.4, 3])
    c1.button(tr("prev_scene", lang), disabled=i == 0, key="prev_scene", shortcut="PageUp",
              on_click=lambda: state.apply_scene(scenes, ids[i - 1]))
    c2.button(tr("next_scene", lang), disabled=i == len(ids) - 1, key="next_scene", shortcut="PageDown",
              on_click=lambda: state.apply_scene(scenes, ids[i + 1]))
