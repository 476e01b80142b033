"""Train the Splink model and save it as a versioned JSON artefact with its TF tables."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from splink import Linker

from cdp.config import Settings
from cdp.lake import write_parquet_atomic, write_text_atomic
from cdp.standardise import standardise
from identity import model as m
from identity.io import load_person_records
from identity.model import blocking_rule
from identity.setup import ModelSetup, derive_setup, rule_groups

log = logging.getLogger(__name__)


def records_per_person(prior: float | None, n_records: int) -> float:
    """Records per person the prior implies: ``1 + prior × (n − 1)`` matching partners per record
    (clamped to 1–10; 1 without a prior)."""
    if not prior or n_records < 2:
        return 1.0
    return min(max(1.0 + float(prior) * (n_records - 1), 1.0), 10.0)


def tf_tables(frame: pl.DataFrame, per_person: float = 1.0) -> dict[str, pl.DataFrame]:
    """Term-frequency tables: how often a value is held by *another* person's record.

    Splink's own tables count records, so a person's own duplicates count as other holders: a
    name only one person has, delivered twice, gets twice the frequency of a name delivered once,
    and every exact name match lost weight (FEBRL4: −1.8 bits on every pair). Here a value's count
    drops the ``per_person − 1`` records the typical person holds besides the one compared (at
    least one record stays), so a value one person holds weighs like a unique one, and a value many
    people hold is still down-weighted by its share.
    """
    own = max(per_person - 1.0, 0.0)
    out = {}
    for col in m.TF_COLUMNS:
        vc = frame.select(col).drop_nulls().group_by(col).len("n")
        total = vc["n"].sum() or 1
        out[col] = vc.select(col, ((pl.col("n") - own).clip(lower_bound=1.0) / total).alias(f"tf_{col}"))
    return out


def sample_for_training(frame: pl.DataFrame, max_records: int, seed: int) -> pl.DataFrame:
    """A hash-based, reproducible record sample of at most ``max_records`` records."""
    if frame.height <= max_records:
        return frame
    frac = max_records / frame.height
    h = pl.col("record_key").hash(seed=seed) % 1_000_000
    return frame.filter(h < int(frac * 1_000_000))


class TrainingError(RuntimeError):
    """Training found too few pairs to estimate a comparison: says which fields it tried."""


def _em_passes(linker: Linker, setup: ModelSetup, max_pairs: float) -> list[dict]:
    """EM passes in the set-up's order until every comparison was estimated twice.

    A pass whose blocking finds too few pairs (Splink raises) is skipped and recorded.
    """
    estimated = dict.fromkeys(setup.comparisons, 0)
    passes: list[dict[str, Any]] = []
    for rule in setup.training_rules:
        fixed = rule_groups(rule)
        if all(n >= 2 for g, n in estimated.items() if g not in fixed):
            continue  # would estimate nothing that is not estimated twice already
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                blocking_rule(rule), max_pairs=max_pairs, estimate_without_term_frequencies=True)
        except Exception as exc:  # noqa: BLE001 - Splink raises several types for "no/too few pairs"
            log.warning("training pass on %s skipped: %s", "+".join(rule), str(exc).splitlines()[0][:200])
            passes.append({"rule": rule, "ok": False})
            continue
        passes.append({"rule": rule, "ok": True})
        for g in estimated:
            if g not in fixed:
                estimated[g] += 1
    missing = [g for g, n in estimated.items() if n == 0]
    if missing:
        tried = "; ".join("+".join(p["rule"]) + (" (too few pairs)" if not p["ok"] else "") for p in passes) or "none"
        msg = (
            f"identity training could not estimate the comparison(s) {', '.join(missing)}: it needs pairs of "
            f"records that agree on other fields to learn how these fields differ for one person. "
            f"Training passes tried: {tried}. Fill rates: "
            + ", ".join(f"{g} {setup.fill_rates.get(g, {}).get('all', 0):.0%}" for g in setup.comparisons)
            + ". Deliver more records or more filled fields (birth date, postcode, e-mail), or set "
              "identity.comparisons / identity.training_blocking_rules in cdp.toml.")
        if not any(p["ok"] for p in passes):
            raise TrainingError(msg)
        # some comparisons were estimated: the others keep Splink's default m values
        log.warning("%s Until then these comparisons use default weights.", msg)
    return passes


def _estimate_prior(linker: Linker, setup: ModelSetup) -> None:
    for rules in ([blocking_rule(r) for r in setup.prior_rules], None):
        if rules is None:
            log.warning("identity training: no deterministic rule found pairs for the prior; using Splink's default")
            return
        try:
            linker.training.estimate_probability_two_random_records_match(rules, recall=0.75)
            return
        except Exception as exc:  # noqa: BLE001 - too few pairs
            log.warning("prior from %s failed: %s", setup.prior_rules, str(exc).splitlines()[0][:200])


def fit(settings: Settings, frame: pl.DataFrame, setup: ModelSetup | None = None) -> tuple[dict, dict[str, float]]:
    """Estimate the prior, u (random sampling) and m (EM) on a Splink input frame."""
    ids = settings.identity
    setup = setup or derive_setup(frame, ids)
    timings = {}
    t = time.perf_counter()
    db_api = m.duckdb_api(settings)
    sdfs = m.register_sources(db_api, frame) if setup.link_type != "dedupe_only" else [
        db_api.register(frame.to_arrow(compat_level=pl.CompatLevel.newest()), dataset_display_name="records")]
    linker = Linker(sdfs, m.splink_settings(setup))
    if setup.prior_rules:
        _estimate_prior(linker, setup)
    timings["prior_s"] = time.perf_counter() - t
    t = time.perf_counter()
    # early stop once every level was seen 30 times: a level that is rare in this data (day and
    # month swapped) would otherwise keep sampling to u_max_pairs for its whole comparison
    linker.training.estimate_u_using_random_sampling(max_pairs=ids.u_max_pairs, seed=ids.seed,
                                                     min_count_per_level=30)
    timings["u_s"] = time.perf_counter() - t
    t = time.perf_counter()
    passes = _em_passes(linker, setup, ids.em_max_pairs)
    timings["em_s"] = time.perf_counter() - t
    model = linker.misc.save_model_to_json()
    model["cdp_setup"] = setup.as_dict() | {"training_passes_run": passes}
    return model, timings


def train(settings: Settings, frame: pl.DataFrame | None = None, setup: ModelSetup | None = None) -> Path:
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
    setup = setup or derive_setup(inp, settings.identity)
    log.info("%s", setup.describe())
    sample = sample_for_training(inp, settings.identity.train_max_records, settings.identity.seed)
    log.info("training identity model on %d of %d records", sample.height, inp.height)
    model_json, timings = fit(settings, sample, setup)
    d = m.model_dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    latest = m.latest_model(settings)
    n = 1 if latest is None else int(latest.path.stem.split("_v")[1]) + 1
    version = f"v{n}"
    model_json["cdp_model_version"] = version
    model_json["cdp_trained_on"] = {
        "records": inp.height, "sample_records": sample.height, "settings_fingerprint": m.settings_fingerprint(setup.comparisons),
        "trained_at": datetime.now(UTC).isoformat(), **{k: round(v, 2) for k, v in timings.items()},
    }
    path = d / f"model_v{n}.json"
    ref = m.ModelRef(path, version, setup=setup)
    per_person = records_per_person(model_json.get("probability_two_random_records_match"), sample.height)
    model_json["cdp_trained_on"]["records_per_person"] = round(per_person, 3)
    for col, tf in tf_tables(inp, per_person).items():
        write_parquet_atomic(tf, ref.tf_dir / f"tf_{col}.parquet")
    write_text_atomic(json.dumps(model_json, indent=1, default=str), path)
    log.info("saved identity model %s in %.1fs", version, time.perf_counter() - t0)
    return path
