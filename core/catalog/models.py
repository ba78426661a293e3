"""Models and their price history (a new price is a new row; nothing is overwritten)."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import duckdb

from core.errors import InputError
from core.store import db, writes
from core.store.settings import ROOT

PRICE_FILE = ROOT / "data" / "prices.csv"


def provider_of(model_id: str) -> str:
    """Bedrock model ids look like 'vendor.name-version:n'; anything else is 'other'."""
    head = model_id.split(".", 1)[0]
    known = {
        "anthropic",
        "amazon",
        "meta",
        "mistral",
        "cohere",
        "ai21",
        "deepseek",
        "openai",
        "writer",
        "qwen",
        "us",
        "eu",
        "apac",
        "global",
    }
    return "bedrock" if head in known else "other"


# Geographic prefixes of Bedrock cross-region inference profile ids ("us.anthropic....").
_PROFILE_GEOS = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")


def resolve_model_id(identifier: str) -> str:
    """The model id an identifier names, as runs store it.

    Bedrock writes models several ways: a foundation-model ARN
    (``arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0``)
    gives the id after ``foundation-model/``; a cross-region inference profile, as an id
    (``us.anthropic.claude-3-5-sonnet-20241022-v2:0``) or an ARN
    (``...:inference-profile/us.anthropic...``), gives the base model id without its
    geography. Anything else (an application inference profile ARN, a provisioned or custom
    model ARN, a plain id) is returned as it is: nothing in it names a model id.
    """
    text = (identifier or "").strip()
    if text.startswith("arn:"):
        resource = text.split(":", 5)[-1] if text.count(":") >= 5 else ""
        kind, _, name = resource.partition("/")
        if kind == "foundation-model" and name:
            return name
        if kind == "inference-profile" and name:
            text = name
        else:
            return text
    geo, dot, rest = text.partition(".")
    if dot and geo in _PROFILE_GEOS and "." in rest:
        return rest
    return text


def ensure(con: duckdb.DuckDBPyConnection, model_id: str, display_name: str | None = None) -> None:
    """Register a model id if it is new (call inside the writer's transaction)."""
    con.execute(
        "INSERT INTO model (model_id, provider, display_name) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [model_id, provider_of(model_id), display_name],
    )


def add_price(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    effective: date,
    input_per_1k: float,
    output_per_1k: float,
    *,
    currency: str = "USD",
    source: str | None = None,
    actor: str,
) -> None:
    """Record a price from ``effective`` on; the previous ones stay as history, audited."""
    model_id = (model_id or "").strip()
    if not model_id:
        raise InputError("price", "a price needs a model id")
    for name, value in (("input price", input_per_1k), ("output price", output_per_1k)):
        if value is None or not math.isfinite(value) or value < 0:
            raise InputError("price", f"{name} per 1K tokens must be a number ≥ 0, got {value}")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise InputError("price", f"currency must be a 3-letter code such as USD, got {currency!r}")
    with db.transaction(con):
        ensure(con, model_id)
        con.execute(
            "INSERT INTO model_price (model_id, effective_date, input_per_1k, output_per_1k,"
            " currency, source, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [model_id, effective, input_per_1k, output_per_1k, currency, source, actor],
        )
        writes.audit(
            con,
            actor,
            "add_price",
            "model_price",
            model_id,
            after={
                "effective_date": effective,
                "input_per_1k": input_per_1k,
                "output_per_1k": output_per_1k,
                "currency": currency,
                "source": source,
            },
        )


def load_list_prices_if_none(con: duckdb.DuckDBPyConnection, actor: str) -> int:
    """A database without any price gets the shipped list prices (data/prices.csv), as
    ``init``, the demo and the app's first start do; one with prices keeps its own. Returns
    the rows added."""
    if db.scalar(con, "SELECT count(*) FROM model_price"):
        return 0
    return load_price_file(con, actor)


def load_price_file(con: duckdb.DuckDBPyConnection, actor: str, path: Path = PRICE_FILE) -> int:
    """Register the shipped price table (data/prices.csv); returns the rows added."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        ensure(con, row["model_id"], row["display_name"])
        add_price(
            con,
            row["model_id"],
            date.fromisoformat(row["effective_date"]),
            float(row["input_per_1k"]),
            float(row["output_per_1k"]),
            currency=row["currency"],
            source=row["source"],
            actor=actor,
        )
    return len(rows)


def current_prices(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(model_id, display_name, input_per_1k, output_per_1k, currency, effective_date) now."""
    return con.execute(
        "SELECT m.model_id, m.display_name, p.input_per_1k, p.output_per_1k, p.currency,"
        " p.effective_date FROM model m JOIN prices_in_force(?) p USING (model_id)"
        " ORDER BY m.model_id",
        [date.today()],
    ).fetchall()
