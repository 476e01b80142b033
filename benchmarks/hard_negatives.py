"""Which hard negatives a resolve merged, by kind and by the evidence that joined them.

    .venv/bin/python benchmarks/hard_negatives.py benchmarks/work/identity_hard_10000

Reads a benchmark data dir after ``benchmarks/identity.py`` (truth, identity outputs, model) and
prints, for every merged hard-negative person pair (two persons of one household, one of them a
twin, parent/child or shared-e-mail case, with records in one customer): its kind, whether the
two persons are joined by a direct edge or only through other records, and per joining edge the
link method / rule and the comparison levels (labels). Counts and labels only, never a value.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.evaluate import HARD_NEGATIVE_CASES  # noqa: E402
from identity.evidence import level_labels  # noqa: E402


def main(data_dir: Path) -> None:
    ident = data_dir / "lake" / "identity"
    truth = pl.read_parquet(data_dir / "truth" / "identity_truth.parquet").with_columns(
        (pl.col("source_system") + ":" + pl.col("source_record_id")).alias("record_key"))
    link = pl.read_parquet(ident / "identity_link.parquet").select(
        (pl.col("source_system") + ":" + pl.col("source_record_id")).alias("record_key"), "customer_id")
    std = pl.read_parquet(ident / "person_records_std.parquet")
    edges = pl.read_parquet(ident / "edges.parquet")
    model = sorted((data_dir / "models" / "identity").glob("model_v*.json"))[-1]
    labels = level_labels(model)
    threshold = 0.9
    t = truth.select("record_key", "person_id", "household_id", "hard_case").join(link, on="record_key")
    h = t.filter(pl.col("household_id").is_not_null())
    pairs = (h.join(h, on="household_id", suffix="_r")
             .filter((pl.col("person_id") < pl.col("person_id_r"))
                     & (pl.col("hard_case").is_in(HARD_NEGATIVE_CASES) | pl.col("hard_case_r").is_in(HARD_NEGATIVE_CASES))
                     & (pl.col("customer_id") == pl.col("customer_id_r"))))
    merged = pairs.group_by("person_id", "person_id_r").agg(pl.col("hard_case").first(), pl.col("hard_case_r").first(),
                                                            pl.col("customer_id").first())
    print(f"merged hard-negative person pairs: {merged.height}")
    kinds: Counter = Counter()
    linking = edges.filter(pl.col("veto").is_null() & (pl.col("match_probability") >= threshold)) \
        if "veto" in edges.columns else edges.filter(pl.col("match_probability") >= threshold)
    who = t.select("record_key", "person_id")
    has = std.select("record_key", pl.col("birth_date").is_not_null().alias("dob"),
                     pl.col("name_suffix").is_not_null().alias("suffix"),
                     pl.col("email_std").is_not_null().alias("email"),
                     (pl.col("phone_e164").is_not_null() | pl.col("mobile_e164").is_not_null()).alias("phone"))
    for row in merged.iter_rows(named=True):
        kind = row["hard_case"] if row["hard_case"] in HARD_NEGATIVE_CASES else row["hard_case_r"]
        recs = t.filter(pl.col("customer_id") == row["customer_id"])
        a = set(recs.filter(pl.col("person_id") == row["person_id"])["record_key"])
        b = set(recs.filter(pl.col("person_id") == row["person_id_r"])["record_key"])
        others = recs.height - len(a) - len(b)
        direct = linking.filter((pl.col("record_key_l").is_in(a) & pl.col("record_key_r").is_in(b))
                                | (pl.col("record_key_l").is_in(b) & pl.col("record_key_r").is_in(a)))
        # records of one person and the other person's records: sides' field presence
        side = lambda keys: has.filter(pl.col("record_key").is_in(keys)).select(  # noqa: E731
            pl.col("dob", "suffix", "email", "phone").sum()).row(0, named=True)
        print(f"\n[{kind}] records {len(a)} + {len(b)} (+{others} of other persons in the customer); "
              f"direct linking edges {direct.height}; fields present A {side(a)} B {side(b)}")
        kinds[(kind, "direct" if direct.height else "through other records")] += 1
        for e in direct.iter_rows(named=True):
            lv = {c.removeprefix("gamma_"): labels.get(c.removeprefix("gamma_"), {}).get(e[c], e[c])
                  for c in e if c.startswith("gamma_") and e[c] is not None}
            da = has.filter(pl.col("record_key") == e["record_key_l"]).row(0, named=True)
            db = has.filter(pl.col("record_key") == e["record_key_r"]).row(0, named=True)
            print(f"   edge {e.get('link_method')} {e.get('rule') or ''} p={e['match_probability']:.4f} "
                  f"l{ {k: v for k, v in da.items() if k != 'record_key'} } r{ {k: v for k, v in db.items() if k != 'record_key'} }")
            print("     " + json.dumps(lv))
        if not direct.height:
            # the path: which edges join A's records to the rest of the customer
            via = linking.filter(pl.col("record_key_l").is_in(a) ^ pl.col("record_key_r").is_in(a))
            via = via.filter(pl.col("record_key_l").is_in(list(set(recs["record_key"])))
                             & pl.col("record_key_r").is_in(list(set(recs["record_key"]))))
            p = via.join(who.rename({"record_key": "record_key_l", "person_id": "p_l"}), on="record_key_l") \
                .join(who.rename({"record_key": "record_key_r", "person_id": "p_r"}), on="record_key_r")
            for e in p.iter_rows(named=True):
                lv = {c.removeprefix("gamma_"): labels.get(c.removeprefix("gamma_"), {}).get(e[c], e[c])
                      for c in e if c.startswith("gamma_") and e[c] is not None}
                same = "same person" if e["p_l"] == e["p_r"] else "to a third person"
                print(f"   via {same}: {e.get('link_method')} {e.get('rule') or ''} p={e['match_probability']:.4f} "
                      + json.dumps(lv))
    print("\nby kind and join:", dict(kinds))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
