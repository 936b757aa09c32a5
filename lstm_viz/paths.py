"""Where the package's data lie: the assets folder (lessons, shipped models, sample text) and the player's build."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout (assets/ sits beside lstm_viz/)
ASSETS = ROOT / "assets"
PLAYER_DIST = ROOT / "lstm_viz" / "page" / "player" / "dist"  # the step player's built files (read as data)
