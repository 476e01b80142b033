"""The one settings object.

Settings come from, in rising precedence: the defaults below, a TOML file (``cdp.toml`` in the
working directory, or the path in ``CDP_CONFIG``), and ``CDP_*`` environment variables.
Nested fields use a double underscore: ``CDP_IDENTITY__MATCH_THRESHOLD=0.95``.

Nothing here reads the environment at import time; call :func:`load_settings`.

Each stage owns one section (a dataclass below). Add a field to your stage's section rather than
a constant in code when a user may want to change it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdp.paths import Paths

#: The demo value of ``privacy.secret``: published in this repository, so no secret at all.
DEMO_SECRET = "change-me-local-demo-secret"


@dataclass
class IngestSettings:
    """Stage 1: landing → staged/quarantine (pipelines/)."""

    contracts_dir: str = "data_contracts"
    # Share of failed rows in a file above which the contract check blocks downstream assets.
    max_failed_share: float = 0.05
    # GE's per-value expectations (type, pattern, allowed, range; evaluated row by row in Python)
    # run on a seeded sample of this many rows per file; polars checks every row regardless.
    ge_sample_rows: int = 20_000
    # Files are read, checked and written in batches of about this many lines (bounded memory);
    # JSON arrays and CSVs with quoted line breaks are read whole.
    batch_rows: int = 1_000_000
    # A raw value longer than this many characters quarantines its row (rule <field>:max_length):
    # a 10 MB "name" is an attack or a broken export, and would slow every page that shows it.
    max_field_length: int = 4_000
    # An event or record timestamp more than this many days after its delivery date is in the
    # future: the row is quarantined (rule <field>:future) instead of moving "now" to 2099.
    future_tolerance_days: int = 1


@dataclass
class IdentitySettings:
    """Identity resolution (identity/)."""

    match_threshold: float = 0.9
    predict_threshold: float = 0.5
    # A deterministic key value shared by more distinct persons than this does not merge alone.
    max_records_per_key: int = 4
    key_blocklist: list[str] = field(
        default_factory=lambda: ["test@test.de", "keine@email.de", "noreply@example.com"]
    )
    # A run that would change more than this share of existing customer ids stops unless forced.
    max_id_churn: float = 0.05
    max_cluster_size: int = 25
    em_max_pairs: float = 2e6
    # u by random sampling: the name and address comparisons have levels that random pairs
    # almost never reach (exact full name, same street + number), so Splink's early stop never
    # fires and sampling always runs to this many pairs per comparison (FEBRL 10k records:
    # 1e7 -> 92 s, 3e6 -> 39 s of training). 1e6 instead of 2e6 halves it; pairwise F1 on the
    # same records: FEBRL3 0.9920 both, simulator hard 10k 0.9753 -> 0.9747.
    u_max_pairs: float = 1e6
    seed: int = 42
    # Trusted keys for the deterministic pass: the column (cdp/standardise.py) whose equal
    # values link records, and how many distinct persons (distinct first names / birth dates)
    # may share one value before it stops linking on its own.
    deterministic_keys: list[dict] = field(
        default_factory=lambda: [
            {"name": "erp_customer_no", "column": "erp_key", "max_persons": 1},
            {"name": "bonus_card_no", "column": "bonus_key", "max_persons": 1},
            {"name": "email", "column": "email_std", "max_persons": 1, "require": "first_name_first"},
        ]
    )
    # Records in a cluster above max_cluster_size are re-clustered at these stricter thresholds.
    split_thresholds: list[float] = field(default_factory=lambda: [0.99, 0.999, 0.9999])
    # Share of records used to estimate the prior / EM (training samples at large sizes).
    train_max_records: int = 400_000
    engine: str = "duckdb"
    # The model set-up is derived from the data (identity/setup.py: comparisons for the field
    # groups filled in >= 1 % of the records, blocking rules whose columns are present). To fix it
    # instead, list comparisons (name, birth_date, email, phone, address, erp_key, bonus_key) and
    # blocking rules: each a list of Splink input columns that must be equal, or a Splink SQL
    # condition ("l.x = r.y"). Empty: derived.
    comparisons: list[str] = field(default_factory=list)
    blocking_rules: list[Any] = field(default_factory=list)
    training_blocking_rules: list[Any] = field(default_factory=list)
    # Spark backend (`cdp resolve --engine spark`): master URL ("local[2]" on one machine,
    # "spark://host:7077", "yarn", "k8s://..." on a cluster) and driver memory.
    spark_master: str = "local[2]"
    spark_driver_memory: str = "4g"
    # Hard-negative vetoes (identity/veto.py): a scored pair whose first names are less similar
    # than this (Jaro-Winkler, after folding; initials and shared name parts are compatible) or
    # whose birth dates are more than this many years apart never links (0 disables); a
    # one-digit typo or transposition ("1965" / "1956") is never "apart". 1.5 rather than 5:
    # two same-name spouses or siblings sharing a mailbox are years, not decades, apart
    # (100k realistic precision 0.99919 -> 0.99929, hard negatives unchanged).
    veto_first_name_jw: float = 0.8
    veto_birth_year_gap: float = 1.5
    # Sources whose own master data is deduplicated: two records of one of these sources are
    # never the same customer (like a cannot-link; a steward's must-link still wins).
    duplicate_free_sources: list[str] = field(default_factory=lambda: ["erp", "bonus"])
    # Records with one name at one address (typos and swapped names allowed) that are evidently
    # two or more persons (birth dates apart, sen/jun, two records of one duplicate-free source,
    # two own mailboxes): a pair among them links only on evidence beyond name + address (birth
    # date, e-mail, phone, trusted key).
    ambiguous_household_veto: bool = True
    # On: a scored pair whose e-mails are two different mailboxes (not even a +tag, Gmail-dot,
    # other-provider or "name.2@" second-account variant), with no phone, birth date or trusted
    # key agreeing, is a cannot-link (off: only when both phones differ too). Measurements:
    # docs/identity.md.
    veto_differing_emails: bool = True
    # A saved model trained for other comparisons (settings fingerprint in its JSON) is retrained
    # by `cdp resolve` (logged); False: resolve stops and asks for `cdp identity train`.
    retrain_stale_model: bool = True
    # DuckDB threads and memory limit for Splink (empty: DuckDB defaults). DuckDB's share of the
    # resolve peak (1M persons: 6GB -> 9.3 GB, 4GB -> 7.7 GB, 3GB -> 6.7 GB for +3-5 s of predict).
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "3GB"


@dataclass
class ProfileSettings:
    """360° profiles (profiles/)."""

    # DuckDB's memory cap for the profile build; beyond it DuckDB spills to a temp directory
    # beside the database (1M persons: 6GB → 265 s / 6.4 GB peak, no cap → 191 s / 16.4 GB).
    duckdb_memory_limit: str = "8GB"
    # Customers per step when building the role tables (agent_profile, steward_profile): at 1M
    # persons they did not fit in 8 GB in one step. 0: all customers in one step.
    role_table_chunk: int = 200_000
    # Engine of `cdp build-profiles`: "duckdb" builds data/cdp.duckdb (the serving store every
    # reader uses); "spark" runs the same profile SQL on Spark SQL (identity.spark_master) and
    # writes Parquet to <data dir>/spark/profiles/<table>/ (profiles/spark.py).
    engine: str = "duckdb"

    # Source trust ranking per golden-record attribute group; earlier = more trusted.
    trust_ranking: dict[str, list[str]] = field(
        default_factory=lambda: {
            "name": ["erp", "crm", "bonus", "shop"],
            "birth_date": ["erp", "bonus", "crm", "shop"],
            "address": ["erp", "crm", "shop", "bonus"],
            "email": ["crm", "shop", "erp", "bonus"],
            "phone": ["crm", "erp", "shop", "bonus"],
        }
    )
    purposes: list[str] = field(default_factory=lambda: ["marketing", "profiling", "service"])
    # Purposes that get a preferred channel (preferred_channel), each with what counts as the
    # customer using a channel for it: "use" (their own inbound contacts 1, answered calls 0.5)
    # or "response" (campaign messages clicked 2, opened 1, inbound contacts 0.5). Whether a
    # contact point needs a granted consent follows the purpose's legal basis (privacy.legal_basis).
    channel_purposes: dict[str, str] = field(
        default_factory=lambda: {"service": "use", "marketing": "response"}
    )
    consent_channels: list[str] = field(default_factory=lambda: ["email", "phone", "sms", "letter"])
    at_risk_after_days: int = 180
    lapsed_after_days: int = 365
    new_customer_days: int = 90
    # Attribute groups where the newest value beats the trust ranking (a moved customer's address).
    recency_first: list[str] = field(default_factory=lambda: ["address"])
    # Reference date for recency, lifecycle and RFM (ISO date); empty = latest event in the data.
    as_of: str = ""
    # Observed channel use counts half as much after this many days (preferred channel).
    channel_half_life_days: int = 180
    # Channel picked among the allowed ones when a customer states nothing and shows no use.
    channel_fallback_order: list[str] = field(
        default_factory=lambda: ["email", "letter", "sms", "phone"]
    )
    # Contact event types that count as a purchase (positive) or a return (negative amount).
    purchase_types: list[str] = field(
        default_factory=lambda: ["order", "invoice", "card_purchase"]
    )
    return_types: list[str] = field(
        default_factory=lambda: ["return", "credit_note", "card_return"]
    )
    # CLV = yearly net revenue x horizon x activity factor of the lifecycle stage.
    clv_horizon_years: float = 3.0
    clv_stage_factor: dict[str, float] = field(
        default_factory=lambda: {"new": 0.6, "active": 1.0, "at_risk": 0.5, "lapsed": 0.1}
    )
    # Contacts listed in customer_360.recent_contacts / agent_profile.
    recent_contacts: int = 10
    # --- customer experience (profiles/cx.py, profiles/sql/feedback.sql ... cx_kpi_monthly.sql)
    # campaign_response: an order within this many days after a campaign message counts for it.
    campaign_order_window_days: int = 7
    # cx_kpi_monthly covers this many months up to as_of.
    cx_kpi_months: int = 24
    # churn_risk: logit(P(churn)) = logit(1 - P(alive) of the BG/NBD model) + these weights x
    # the service signals (open complaints, latest NPS a detractor, consents withdrawn in the
    # last 180 days, no reaction to the last 5 campaign messages); 0 switches a signal off.
    churn_signal_weights: dict[str, float] = field(
        default_factory=lambda: {"open_complaint": 0.5, "detractor": 0.5,
                                 "withdrawn_consent": 0.3, "unresponsive": 1.0}
    )
    # churn_risk.risk_level: high from this probability, medium from the second.
    churn_high: float = 0.7
    churn_medium: float = 0.4


@dataclass
class ExportSettings:
    """Exports and the agent console (exports/)."""

    console_host: str = "127.0.0.1"
    console_port: int = 8765
    timeline_page_size: int = 25
    # What the console shows: "agent" (need-to-know) or "steward" (full lineage, for data stewards).
    console_role: str = "agent"
    # After `cdp build-profiles` swapped the database, requests wait at most this long for the
    # console to open the new file (and rebuild its search index) before answering from the old.
    console_swap_wait_seconds: float = 30.0
    # Search: most results listed; a name token matches a known token at this Jaro-Winkler
    # similarity (after folding umlauts) or within this many edits (Damerau-Levenshtein).
    search_limit: int = 25
    name_min_similarity: float = 0.88
    name_max_edits: int = 1
    # Audience exports: channel picked among the consented, reachable ones when the customer's
    # preferred channel is not among them.
    audience_channel_order: list[str] = field(
        default_factory=lambda: ["email", "letter", "sms", "phone"]
    )
    # Further suppression lists ({reason, file, column}: files relative to the data dir with a
    # customer_id column); a listed customer is never exported and is counted under the reason.
    # Missing files are skipped. Erased and restricted customers are always left out (the
    # privacy layer's lists, privacy.hooks.suppressed_customers); they need no entry here.
    suppression_lists: list[dict] = field(default_factory=list)
    # Contact rules (exports/contact_rules.py) for these purposes' audiences: at most
    # contact_cap_messages marketing messages per customer within contact_cap_days across all
    # sources (who already got that many is left out; 0 = no cap), and off a channel's lists
    # after no reaction to the last non_responder_last_k messages on it (0 = off).
    contact_rules_purposes: list[str] = field(default_factory=lambda: ["marketing"])
    contact_cap_messages: int = 3
    contact_cap_days: int = 7
    non_responder_last_k: int = 5
    # Agent-view export: customers per slice (each slice is one pass over the view, written in
    # customer order, so memory follows the slice, not the customer base) and DuckDB's memory cap.
    agent_views_slice_customers: int = 25_000
    duckdb_memory_limit: str = "1GB"


@dataclass
class PrivacySettings:
    """Data protection (privacy)."""

    # Salt for tombstone hashes and pseudonyms; set CDP_PRIVACY__SECRET in production. `cdp run`
    # warns loudly at the demo default on simulated data and refuses it on any other data.
    secret: str = DEMO_SECRET
    # Guest checkouts never linked to a registered customer are dropped this many days after
    # their last activity; a contract's ``retention: {guest_days: N}`` overrides it per source
    # (0 = keep).
    guest_retention_days: int = 730
    # Reference date for retention: "today" (production), an ISO date, or empty = the newest
    # event in the data (like profiles.as_of; right for replayed or simulated histories).
    retention_as_of: str = ""
    # Rebuild profiles and re-export agent views right after ``cdp forget`` / ``cdp restrict``.
    rebuild_after_change: bool = True
    # Legal basis per purpose (Art. 6(1) GDPR): "consent" (a) — only with a granted consent;
    # "legitimate_interest" (f) — unless the customer objected (Art. 21) or withdrew a consent
    # for the purpose; "contract" (b) — always; "none" — never. Without a basis for a customer,
    # nothing is computed or exported for the purpose (profiling: no RFM, segment, CLV, lifecycle).
    legal_basis: dict[str, str] = field(
        default_factory=lambda: {"marketing": "consent", "profiling": "legitimate_interest",
                                 "service": "contract"}
    )
    # Contacts a source types as an objection (Art. 21): the subject (CRM picklist value, case-
    # insensitive), optionally only from one source and event type, and the purpose objected to.
    objection_subjects: list[dict] = field(
        default_factory=lambda: [
            {"subject": "Widerspruch Werbung", "purpose": "marketing"},
            {"subject": "Widerspruch Profiling", "purpose": "profiling"},
        ]
    )
    # Art. 13/15(1) information for the subject-access document and the record of processing
    # (Art. 30): controller, DPO contact, what each purpose is, who receives data, how long it
    # is kept. German, because the documents are for the data subject and the authority.
    controller: str = "Musterhandel GmbH, Musterstraße 1, 10115 Berlin"
    dpo_contact: str = "Datenschutzbeauftragte/r, datenschutz@musterhandel.example"
    supervisory_authority: str = (
        "Berliner Beauftragte für Datenschutz und Informationsfreiheit, Alt-Moabit 59-61, 10555 Berlin")
    # What the documents call each purpose (profiles.purposes), in a word.
    purpose_names: dict[str, str] = field(
        default_factory=lambda: {"marketing": "Werbung", "profiling": "Profilbildung",
                                 "service": "Kundenservice"}
    )
    purpose_descriptions: dict[str, str] = field(
        default_factory=lambda: {
            "marketing": "Werbung und Angebote per E-Mail, Telefon, SMS oder Brief",
            "profiling": "Auswertung des Kaufverhaltens (Kundenwert, Segment, Lebenszyklus) für "
                         "die Auswahl von Angeboten",
            "service": "Kundenservice, Vertragsabwicklung, Sicherheits- und Rückrufhinweise",
        }
    )
    # How the documents for data subjects and the authority name each source system.
    source_names: dict[str, str] = field(
        default_factory=lambda: {"erp": "Warenwirtschaft (ERP)", "crm": "Kundenservice-System (CRM)",
                                 "shop": "Webshop", "bonus": "Bonusprogramm"}
    )
    # Recipients (Art. 15(1)(c), Art. 30(1)(d)): who receives which export.
    recipients: list[dict] = field(
        default_factory=lambda: [
            {"name": "Kundenservice (Callcenter, Filialen)", "export": "agent-views",
             "purposes": ["service"]},
            {"name": "Marketing / Versanddienstleister für Kampagnen", "export": "audience",
             "purposes": ["marketing"]},
            {"name": "Analyse (pseudonymisiert)", "export": "pseudo", "purposes": ["profiling"]},
        ]
    )
    # Retention (Art. 15(1)(d), Art. 30(1)(f)) per kind of data, as a sentence (guest checkouts:
    # from guest_retention_days and the contracts' retention).
    retention: dict[str, str] = field(
        default_factory=lambda: {
            "Stammdaten": "bis zum Ende der Kundenbeziehung, danach bis zum Ablauf gesetzlicher "
                          "Aufbewahrungsfristen",
            "Rechnungen und Gutschriften": "10 Jahre (§ 147 AO, § 257 HGB)",
            "Kontakte und Servicefälle": "3 Jahre nach dem letzten Kontakt",
            "Einwilligungen und Widersprüche": "solange die Einwilligung genutzt wird und 3 Jahre "
                                               "danach (Nachweis, Art. 7 Abs. 1 DSGVO)",
        }
    )


@dataclass
class Settings:
    """All configuration of one CDP installation."""

    data_dir: Path = Path("data")
    ingest: IngestSettings = field(default_factory=IngestSettings)
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    profiles: ProfileSettings = field(default_factory=ProfileSettings)
    exports: ExportSettings = field(default_factory=ExportSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.data_dir))

    def with_data_dir(self, data_dir: str | Path) -> Settings:
        return dataclasses.replace(self, data_dir=Path(data_dir))


def load_settings(
    config_file: str | Path | None = None,
    env: typing.Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from defaults, a TOML file, ``CDP_*`` variables and keyword overrides."""
    env = os.environ if env is None else env
    settings = Settings()
    path = Path(config_file or env.get("CDP_CONFIG") or "cdp.toml")
    if path.is_file():
        with path.open("rb") as fh:
            _apply(settings, tomllib.load(fh), source=str(path))
    for key, value in env.items():
        if key.startswith("CDP_") and key != "CDP_CONFIG":
            parts = key[4:].lower().split("__")
            _apply(settings, _nest(parts, value), source=f"${key}")
    _apply(settings, overrides, source="arguments")
    return settings


def _nest(parts: list[str], value: str) -> dict[str, Any]:
    out: dict[str, Any] = {parts[-1]: value}
    for p in reversed(parts[:-1]):
        out = {p: out}
    return out


def _apply(target: Any, values: dict[str, Any], source: str) -> None:
    hints = typing.get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in values.items():
        if key not in names:
            raise ValueError(f"{source}: unknown setting {key!r} in {type(target).__name__}")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"{source}: setting {key!r} is a section, not a value")
            _apply(current, value, source)
        else:
            setattr(target, key, _coerce(value, hints[key], f"{source}: {key}"))


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _coerce(value: Any, hint: Any, where: str) -> Any:
    if not isinstance(value, str):
        return Path(value) if hint is Path else value
    origin = typing.get_origin(hint) or hint
    try:
        if hint is Path:
            return Path(value)
        if origin is bool:
            word = value.strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            # a misspelt switch ("ture", "flase") must not silently turn a setting off
            raise ValueError(f"not one of {sorted(_TRUE | _FALSE)}")
        if origin in (int, float):
            return origin(value)
        if origin in (list, dict):
            return json.loads(value) if value.strip()[:1] in "[{" else value.split(",")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: cannot read {value!r} as {hint}") from exc
    return value
