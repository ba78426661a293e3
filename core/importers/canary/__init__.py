"""Canary traffic in: OpenTelemetry GenAI spans (OTLP JSON lines), Amazon Bedrock invocation
logs (gzipped JSON lines, local or s3://) and the project's own CSV/JSONL/Parquet, into
canary_request and canary_score (core.store.writes_canary). ``ingest`` is the entry point."""

from core.importers.canary.arms import CLOCK_SKEW, Window, configure, known, window
from core.importers.canary.ingest import FileResult, Ingest, Options, ingest
from core.importers.canary.sources import FORMATS

__all__ = [
    "CLOCK_SKEW",
    "FORMATS",
    "FileResult",
    "Ingest",
    "Options",
    "Window",
    "configure",
    "ingest",
    "known",
    "window",
]
