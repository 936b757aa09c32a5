import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(1)


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the real-browser tests did not run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any("BROWSER TESTS SKIPPED" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED: chromium not found; the page was not tested in a "
                                        "real browser", red=True, bold=True)
