"""Train the Splink model and save it as a versioned JSON artefact with its TF tables."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from splink import Linker, block_on

from cdp.config import Settings
from cdp.lake import write_parquet_atomic, write_text_atomic
from cdp.standardise import standardise
from identity import model as m
from identity.io import load_person_records

log = logging.getLogger(__name__)


def tf_tables(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Term-frequency tables as Splink builds them: share of each value among non-null values."""
    out = {}
    for col in m.TF_COLUMNS:
        vc = frame.select(col).drop_nulls().group_by(col).len("n")
        total = vc["n"].sum() or 1
        out[col] = vc.select(col, (pl.col("n") / total).alias(f"tf_{col}"))
    return out


def sample_for_training(frame: pl.DataFrame, max_records: int, seed: int) -> pl.DataFrame:
    """A hash-based, reproducible record sample of at most ``max_records`` records."""
    if frame.height <= max_records:
        return frame
    frac = max_records / frame.height
    h = pl.col("record_key").hash(seed=seed) % 1_000_000
    return frame.filter(h < int(frac * 1_000_000))


def fit(settings: Settings, frame: pl.DataFrame) -> tuple[dict, dict[str, float]]:
    """Estimate the prior, u (random sampling) and m (EM) on a Splink input frame."""
    ids = settings.identity
    timings = {}
    t = time.perf_counter()
    db_api = m.duckdb_api(settings)
    linker = Linker(m.register_sources(db_api, frame), m.splink_settings(settings))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email_block", "first_name_first"),
         block_on("last_name_core", "first_name_first", "birth_date")],
        recall=0.75,
    )
    timings["prior_s"] = time.perf_counter() - t
    t = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=ids.u_max_pairs, seed=ids.seed)
    timings["u_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for rule in m.em_blocking_rules():
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=ids.em_max_pairs, estimate_without_term_frequencies=True
        )
    timings["em_s"] = time.perf_counter() - t
    return linker.misc.save_model_to_json(), timings


def train(settings: Settings, frame: pl.DataFrame | None = None) -> Path:
    """Train on the canonical person records and save ``data/models/identity/model_v<N>.json``.

    Args:
        settings: the CDP settings.
        frame: optional person_records_std frame (default: standardise the canonical records).

    Returns:
        The path of the saved model JSON.
    """
    t0 = time.perf_counter()
    if frame is None:
        frame = standardise(load_person_records(settings))
    inp = m.splink_input(frame)
    sample = sample_for_training(inp, settings.identity.train_max_records, settings.identity.seed)
    log.info("training identity model on %d of %d records", sample.height, inp.height)
    model_json, timings = fit(settings, sample)
    d = m.model_dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    latest = m.latest_model(settings)
    n = 1 if latest is None else int(latest.path.stem.split("_v")[1]) + 1
    version = f"v{n}"
    model_json["cdp_model_version"] = version
    model_json["cdp_trained_on"] = {
        "records": inp.height, "sample_records": sample.height, "settings_fingerprint": m.settings_fingerprint(),
        "trained_at": datetime.now(UTC).isoformat(), **{k: round(v, 2) for k, v in timings.items()},
    }
    path = d / f"model_v{n}.json"
    ref = m.ModelRef(path, version)
    for col, tf in tf_tables(inp).items():
        write_parquet_atomic(tf, ref.tf_dir / f"tf_{col}.parquet")
    write_text_atomic(json.dumps(model_json, indent=1, default=str), path)
    log.info("saved identity model %s in %.1fs", version, time.perf_counter() - t0)
    return path
