"""Both languages, everywhere: every label in English and Chinese, one Chinese term per concept, no raw LaTeX."""

import re

from lstm_viz.i18n import GLOSSARY, STRINGS
from lstm_viz.notation import GATES, GRU_CONVENTION, STATES
from lstm_viz.teach import lessons

CJK = re.compile(r"[\u4e00-\u9fff]")
SAME_IN_BOTH = {"d_reset_label", "d_gru_add"}  # formulas: the same symbols in both languages


def chinese_texts():
    for key, v in STRINGS.items():
        yield f"i18n {key}", v["zh"]
    for cell in GATES.values():
        for g, info in cell.items():
            yield f"gate {g}", info.meaning["zh"]
    for k, v in STATES.items():
        yield f"state {k}", v["zh"]
    yield "GRU convention", GRU_CONVENTION["zh"]
    for s in lessons.load_lessons():
        for field in ("title", "text", "question", "answer"):
            yield f"{s.id} {field}", getattr(s, field)["zh"]
        for i, note in enumerate(s.notes["zh"]):
            yield f"{s.id} note {i}", note
        for t in s.tries:
            yield f"{s.id} try", t.label["zh"]


def test_every_label_exists_in_both_languages():
    for key, v in STRINGS.items():
        assert set(v) == {"en", "zh"} and v["en"].strip() and v["zh"].strip(), key
        if not CJK.search(v["zh"]):  # a label without Chinese is a formula, a symbol or the same word
            assert key in SAME_IN_BOTH | {"colon"} or v["zh"] == v["en"], (key, v["zh"])


def test_one_chinese_term_per_concept():
    unit, cell = GLOSSARY["hidden unit"]["zh"], GLOSSARY["cell (RNN, GRU, LSTM)"]["zh"]
    for where, text in chinese_texts():
        bare = re.sub(f"{unit}|{cell}|门控{cell}", "", text)
        assert "单元" not in bare, (where, text)  # 单元 alone would mean both a hidden unit and a cell type


def test_no_raw_latex_and_full_width_colons_in_chinese():
    for where, text in chinese_texts():
        outside = re.sub(r"\$[^$]*\$", "", text)
        assert "_{" not in outside and "^{" not in outside, (where, text)
        assert not re.search(r"[\u4e00-\u9fff]:", outside), (where, text)  # a Chinese phrase ends with ：
    for key, v in STRINGS.items():
        for lang in ("en", "zh"):
            assert "_{" not in v[lang] and "^{" not in v[lang], key
