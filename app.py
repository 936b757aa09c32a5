"""The lstm_viz page: settings -> sidebar -> lesson header -> the model and its input -> the chosen view.

Everything Streamlit lives in lstm_viz/page; everything that computes, in the rest of lstm_viz. In presenter
view with a lesson scene, the header goes in a narrow left column and the view (its key figure first) on the right.
"""

import streamlit as st
import torch

from lstm_viz.i18n import tr
from lstm_viz.page import cache, context, janitor, lesson, player, sidebar, state
from lstm_viz.page.parts import interactive_button
from lstm_viz.page.views import VIEWS, train
from lstm_viz.teach.settings import VIEWS as VIEW_NAMES

torch.set_num_threads(1)
st.set_page_config(page_title="lstm_viz", layout="wide")

cache.freeze_startup_objects()
janitor.start()
player.install()
scenes = cache.lessons()
settings = state.start(scenes)
upload = sidebar.render(scenes)
scene = lesson.scene_of(scenes)
if settings.present and scene is not None:
    header, main = st.columns([0.3, 0.7], gap="medium")
else:
    header = main = st.container()
with header:
    lesson.render(scenes)
    settings = state.current()
    if state.notices():  # the address's own text, shown as plain text (never markdown or HTML)
        st.warning(tr("notice", settings.lang))
        st.text("\n".join(state.notices()))
    view_box = st.container()
with main:  # the sequence and, beside it, the layer and unit shown (not in presenter view: no sequence box there)
    text_box, unit_box = (None, None) if settings.present else st.columns([3, 1.25], vertical_alignment="top")
    ctx = context.load(settings, upload, scene, text_box)
if ctx is not None:
    with view_box if settings.present and scene is not None else main:
        train.banner(ctx)
        view = state.widget(st.segmented_control, "view", tr("view", settings.lang), VIEW_NAMES, required=True,
                            format_func=lambda v: tr(f"v_{v}", settings.lang), label_visibility="collapsed")
    with main:
        VIEWS[view].render(state.with_current_settings(ctx), unit_box)
    interactive_button(state.with_current_settings(ctx))
state.finish(state.current())
