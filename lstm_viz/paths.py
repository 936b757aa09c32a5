"""Where the package's data lie: the assets folder (lessons, shipped models, sample text), the page's script and
its server settings, and the player's build.

In a checkout they sit beside ``lstm_viz/`` (``assets/``, ``app.py``, ``.streamlit/config.toml``, the sources of
truth); an installed wheel carries copies of them inside the package (pyproject.toml's force-include).
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE.parent
_INSTALLED = (PACKAGE / "assets").is_dir()

ASSETS = PACKAGE / "assets" if _INSTALLED else _CHECKOUT / "assets"
APP = PACKAGE / "app.py" if _INSTALLED else _CHECKOUT / "app.py"  # the script Streamlit runs
SERVER_CONFIG = PACKAGE / "streamlit_config.toml" if _INSTALLED else _CHECKOUT / ".streamlit" / "config.toml"
PLAYER_DIST = PACKAGE / "page" / "player" / "dist"  # the step player's built files (read as data)
