"""Each scene's claim, checked on the numbers the page computes for that scene (same code path)."""

import numpy as np
import pytest

import lstm_viz as lv
from lstm_viz import analysis, lessons, tasks
from lstm_viz.cells import parameter_count
from lstm_viz.models import models_for, plain_loaders
from lstm_viz.settings import DEFAULTS

SCENES = lessons.load_lessons()
ORDER = ["rnn-step", "bptt", "vanishing", "forget-gate", "input-gate", "cell-update", "output-gate",
         "gradients-survive", "no-forget-gate", "gru", "many-to-one", "bracket-cell"]


def page_numbers(scene, **override):
    """What the page computes for a scene, through the page's own model choice: bundle, encoded text, trace,
    gradient flow (with its knobs)."""
    s = DEFAULTS.replace(**dict(scene.settings, **override))
    m = models_for(s, plain_loaders())
    bundle = m.bundle
    enc = bundle.encode(m.text)
    loss, _ = analysis.loss_for(bundle, enc)
    tr = lv.trace(bundle.rnn, enc.x)
    module, _ = m.knobbed()
    gf = lv.gradient_flow(module, enc.x, loss=loss, truncate=s.trunc or None, clip=s.clip or None)
    return bundle, enc, tr, gf


def test_scenes_are_the_curriculum_in_order_and_bilingual():
    assert [s.id for s in SCENES] == ORDER
    for s in SCENES:
        for field in (s.title, s.text, s.question):
            assert field["en"].strip() and field["zh"].strip()
            assert any("\u4e00" <= ch <= "\u9fff" for ch in field["zh"])
        assert s.check.get("kind"), s.id


def test_bad_scene_files_are_refused(tmp_path):
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\n')
    with pytest.raises(ValueError, match="title needs exactly en and zh"):
        lessons.load_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a", zh="b"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\nexec = "rm -rf /"\n')
    with pytest.raises(ValueError, match="unknown setting 'exec'"):
        lessons.load_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a", zh="b"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\ncell = "LSTM"\nhidden = 9999\n')
    with pytest.raises(ValueError, match="setting 'cell': not one of"):
        lessons.load_lessons(tmp_path)


@pytest.mark.parametrize("scene", SCENES, ids=[s.id for s in SCENES])
def test_scene_claim_holds_on_its_own_numbers(scene):
    kind, c = scene.check["kind"], scene.check
    bundle, enc, tr, gf = page_numbers(scene)
    if kind == "rnn_step":
        assert tr.cell == "rnn" and np.allclose(tr.h, np.tanh(tr.pre), atol=1e-6)
        assert np.all(enc.x.sum(axis=1) == 1)  # one-hot inputs
        probs = analysis.predictions(bundle, tr.h[-1])
        assert np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    elif kind == "truncation":
        k, T = c["k"], tr.steps
        assert np.all(gf.dL_dh[-1][: T - k] == 0) and np.all(gf.dL_dh[-1][T - k:] > 0)
        full = page_numbers(scene, trunc=0)[3]
        assert np.all(full.dL_dh[-1][: T - k] > 0)
    elif kind == "vanishing":
        T, back = tr.steps, c["steps_back"]
        assert gf.dL_dh[-1][T - 1 - back] < c["below"] * gf.dL_dh[-1][T - 1]
        # with a larger spectral radius the gradient 30 steps back no longer vanishes
        big = page_numbers(scene, radius=3.0)[3]
        assert big.dL_dh[-1][T - 1 - back] > c["below"] * big.dL_dh[-1][T - 1]
    elif kind == "forget_open":
        distractors = slice(1, tr.steps - 1)
        for u in c["units"]:
            assert tr.gates["f"][0][distractors, u].min() >= c["min_f"]
    elif kind == "written_memory":
        finals = []
        for first in tasks.RECALL_SYMBOLS:
            e = bundle.encode(first + bundle.task.example[1:])
            finals.append(lv.trace(bundle.rnn, e.x).c[0][-2, c["unit"]])
            probs = analysis.predictions(bundle, lv.trace(bundle.rnn, e.x).h[-1])
            assert bundle.task.classes[int(probs[-1].argmax())] == first
        assert max(finals) - min(finals) >= c["min_spread"]
    elif kind == "cell_identity":
        i, f, g = (tr.gates[k][0] for k in "ifg")
        c_prev = np.vstack([np.zeros((1, tr.hidden_size)), tr.c[0][:-1]])
        assert np.abs(tr.c[0] - (f * c_prev + i * g)).max() <= 1e-5 * np.abs(tr.c[0]).max()  # float32
    elif kind == "output_open":
        assert tr.gates["o"][0][-1, c["unit"]] >= c["min_o"]
        assert np.allclose(tr.h[0], tr.gates["o"][0] * np.tanh(tr.c[0]), atol=1e-6)
    elif kind == "lstm_vs_rnn":
        rnn = page_numbers(scene, cell="rnn")[3]
        assert gf.cell_path[0] >= c["min_cell_path"]
        assert gf.dhT_dht[0] >= c["min_ratio"] * rnn.dhT_dht[0]
    elif kind == "no_forget":
        clamped, cgf = lv.intervene(bundle.rnn, enc.x, [lv.Clamp("f", 1.0)])
        assert np.allclose(cgf.cell_path, 1.0)
        assert np.abs(clamped.c).max() > np.abs(tr.c).max()
        # forget-gate bias 1 keeps the cell path longer than bias -2 on the same model
        keep = page_numbers(scene, fbias=1.0)[3].cell_path[0]
        cut = page_numbers(scene, fbias=-2.0)[3].cell_path[0]
        assert keep > 100 * cut
    elif kind == "gru":
        n, m, layers = tr.hidden_size, bundle.rnn.input_size, tr.num_layers
        assert parameter_count("gru", m, n, layers) * 4 == parameter_count("lstm", m, n, layers) * 3
        z, nn_ = tr.gates["z"][0], tr.gates["n"][0]
        h_prev = np.vstack([np.zeros((1, n)), tr.h[0][:-1]])
        assert np.allclose(tr.h[0], (1 - z) * nn_ + z * h_prev, atol=1e-6)
    elif kind == "sentiment":
        for phrase, label in [(p, "positive") for p in c["positive"]] + [(p, "negative") for p in c["negative"]]:
            e = bundle.encode(phrase)
            assert not e.unknown.any(), phrase
            probs = analysis.predictions(bundle, lv.trace(bundle.rnn, e.x).h[-1])
            assert bundle.task.classes[int(probs[-1].argmax())] == label, phrase
    elif kind == "depth_unit":
        text = tasks.bracket_text(np.random.default_rng(2026), 3000)  # fresh text, not the training stream
        e = bundle.encode(text)
        _, depth, _ = tasks.bracket_state(text)
        c_unit = lv.trace(bundle.rnn, e.x).c[0][:, c["unit"]]
        assert abs(np.corrcoef(c_unit, depth)[0, 1]) >= c["min_r"]
    else:
        raise AssertionError(f"no check for {kind}")
