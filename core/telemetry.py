"""Keep third-party telemetry off before ragas or deepeval is ever imported."""

import os

# Exact values matter: ragas checks for "true", deepeval for "YES".
SETTINGS = {
    "RAGAS_DO_NOT_TRACK": "true",
    "DEEPEVAL_TELEMETRY_OPT_OUT": "YES",
    "DEEPEVAL_DISABLE_DOTENV": "1",
}


def disable() -> None:
    """Set the opt-out variables for this process and its children."""
    os.environ.update(SETTINGS)
