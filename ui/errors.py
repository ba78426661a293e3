"""Failures shown as messages: no traceback reaches a page."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from core.errors import SwitchyardError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def plainly(what: str) -> Iterator[None]:
    """A failure as one message: the core's own error as it is; anything else (a library
    missing, a bug) in plain words, its traceback in the server log, never on the page.
    Streamlit's rerun and stop are BaseExceptions and pass through."""
    try:
        yield
    except SwitchyardError as exc:
        st.error(str(exc))
    except ImportError as exc:
        log.exception("%s failed", what)
        st.error(
            f"{what} failed: the library {exc.name or str(exc)!r} is not installed on the"
            " server. Install the app's requirements (pip install -r requirements.txt)."
        )
    except Exception as exc:  # the last line of defence: no traceback reaches the page
        log.exception("%s failed", what)
        st.error(
            f"{what} failed unexpectedly ({type(exc).__name__}: {str(exc)[:300]}). The"
            " details are in the server log; please report it."
        )
