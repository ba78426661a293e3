"""Switchyard's logic: the store, importers, statistics. Never imports streamlit."""

from core import telemetry

telemetry.disable()
