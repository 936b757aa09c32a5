"""Training in the page: train the shipped model's task from scratch with a live loss curve; the trained model
then replaces the shipped one in every view (a banner says so, with a way back) until the person goes back."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

import lstm_viz as lv
from lstm_viz.engine.cells import copy_module
from lstm_viz.i18n import tr
from lstm_viz.models.model import READOUTS
from lstm_viz.models.train import TrainConfig, as_model, stem_for, train_job
from lstm_viz.teach import figures
from lstm_viz.teach.panels import fbias_panel
from lstm_viz.teach.settings import DEFAULTS

from .. import cache, offload, state
from ..parts import chart, draw, plain


def banner(ctx) -> None:
    """Shown on every view while a model trained here is in use."""
    trained = state.session().trained
    if trained is None or not ctx.choice.trained_here:
        return
    lang = ctx.s.lang
    c1, c2 = st.columns([4, 1])
    c1.warning(tr("trained_banner", lang, steps=trained.steps, acc=trained.accuracy))
    if c2.button(tr("back_to_shipped", lang), key="back_to_shipped"):
        state.set_trained(None)
        st.rerun()


def _held_out_images(choice, lang: str) -> None:
    """The digits: both readouts' accuracy on the held-out images, beside the baselines on the same images."""
    s = choice.settings
    acc = {r: choice.loaders.shipped(stem_for(s.task, s.cell, s.lag, r))[1]["held_out"] for r in READOUTS}
    base = acc["final_states"]["baseline_accuracy"]
    st.caption(plain(tr("held_out_images", lang, n=acc["final_states"]["images"], fs=acc["final_states"]["accuracy"],
                        last=acc["outputs"]["accuracy"], readout=tr(f"readout_{s.readout}", lang),
                        nm=base["nearest class mean"], lr=base["logistic regression"])))


def _samples(card: dict, lang: str, sep: str = "") -> None:
    with st.expander(tr("samples_heading", lang, temp=card["samples"][0]["temperature"])):
        for smp in card["samples"]:
            st.text(smp["prompt"] + sep + smp["text"])


def _held_out_words(card: dict, lang: str) -> None:
    ho = card["held_out"]
    st.caption(plain(tr("held_out_ppl", lang, n=ho["scored_tokens"], unk=ho["unk_fraction"], ppl=ho["perplexity"],
                        bi=ho["baseline_perplexity"]["bigram"], uni=ho["baseline_perplexity"]["unigram"],
                        u=ho["uniform_perplexity"])))
    _samples(card, lang, " ")


def _held_out(card: dict, lang: str) -> None:
    ho = card["held_out"]
    k, ng = max(ho["baseline_bpc"].items(), key=lambda kv: int(kv[0].removesuffix("gram")))
    st.caption(plain(tr("held_out_bpc", lang, n=ho["scored_characters"], bpc=ho["bpc"], k=k.removesuffix("gram"),
                        ng=ng, u=ho["uniform_bpc"])))
    _samples(card, lang)
    if card["task"] == "shakespeare_char" and card["cell"] == "lstm":
        from lstm_viz.teach.cells_found import CELLS_TEXT_CHARS

        with st.expander(tr("cells_found_heading", lang, n=CELLS_TEXT_CHARS)):
            for name, which, unit, r in cache.cells_found("shakespeare_char_lstm"):
                st.text(tr("cells_found_row", lang, feature=tr(f"feat_{name}", lang), state=which, unit=unit,
                                r=r))


def render(ctx, unit_box=None):  # this view shows no unit of its own
    s, lang = ctx.s, ctx.s.lang
    if s.source != "trained":
        st.info(tr("train_needs_task", lang))
        return
    card = ctx.choice.card()
    if "images" in card.get("held_out", {}):
        _held_out_images(ctx.choice, lang)
    elif "perplexity" in card.get("held_out", {}):  # the word model: its perplexity and what it writes
        _held_out_words(card, lang)
    elif "held_out" in card:  # a model of a real text: its held-out score and what it writes
        _held_out(card, lang)
    twins = fbias_panel(ctx)
    if twins is not None:  # the recall LSTMs trained from forget bias 0 and 1: both loss curves
        st.caption(plain(twins.caption))
        draw(twins.curves)
    if state.widget_value("tsteps") is None and s.tsteps == DEFAULTS.tsteps:  # the card's own steps, if fewer
        state.set_widget_value("tsteps", min(card["steps"], DEFAULTS.tsteps))
    steps = state.widget(st.slider, "tsteps", tr("train_steps", lang), *state.bounds("tsteps"), step=10)
    own = s.task == "next_char" and st.checkbox(tr("own_text", lang), key="own_text")
    if st.button(tr("train_button", lang), key="train_go"):
        try:
            cfg = TrainConfig(**dict(card["config"], steps=int(steps), text=ctx.choice.text if own else None))
            cfg.make_task()
        except ValueError as exc:
            st.error(plain(exc))
            return
        bar, live = st.progress(0.0), st.empty()
        hist = []

        def progress(step, loss, acc):
            hist.append((step, loss, acc))
            bar.progress(step / steps)
            if step % max(1, steps // 20) == 0 or step == steps:
                chart(figures.loss_curve(hist, lang), f"live_{step}", where=live)

        snaps = sorted({0, *[int(v) for v in np.linspace(0, steps, 6)]})
        try:  # in the worker (below the class's priority, one job at a time), its progress shown as it comes
            done = offload.run(offload.ALWAYS, train_job, cfg, snaps, progress=progress)
        except ValueError as exc:
            st.error(plain(exc))
            return
        model = as_model(*done.model())
        digest = hashlib.sha256((ctx.choice.text if own else "").encode()).hexdigest()[:16]
        state.set_trained(state.Trained(
            model, f"{s.task}:{s.cell}:{s.lag}:{s.readout}:{steps}:{digest}",
            (s.source, s.task, s.cell, s.lag, s.readout), int(steps), done.history, done.snapshots, done.accuracy))
        st.rerun()
    trained = state.session().trained
    if trained is not None and ctx.choice.trained_here:
        st.write(tr("trained_acc", lang, a=trained.accuracy))
        chart(figures.loss_curve(trained.history, lang), "loss_curve")
        snaps = trained.snapshots
        pick = st.select_slider(tr("snapshot", lang), sorted(snaps), value=max(snaps), key="snap")
        sd = snaps[pick]
        snap_mod = copy_module(ctx.model.rnn, {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
        chart(figures.heatmaps(lv.trace(snap_mod, ctx.enc.x), ctx.layer, ctx.labels, lang=lang), "snap_heat")
