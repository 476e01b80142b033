"""Record of processing activities (Art. 30): generated from the contracts and the settings."""

from __future__ import annotations

from typer.testing import CliRunner

from cdp.config import Settings
from cli.main import app
from dsr.ropa import write_record_of_processing


def test_record_lists_personal_fields_per_source_and_follows_the_settings(tmp_path):
    s = Settings().with_data_dir(tmp_path / "data")
    paths = write_record_of_processing(s)
    md = paths["markdown"].read_text(encoding="utf-8")
    # personal fields from the contracts' mappings, per source and entity
    assert "### Warenwirtschaft (ERP) – customers" in md
    crm = md.split("### Kundenservice-System (CRM) – consent_events")[1].split("###")[0]
    assert "`contact_point` | Einwilligungen" in crm
    newsletter = md.split("### Webshop – newsletter")[1].split("###")[0]
    assert "`email` | Einwilligungen" in newsletter or "`email` |" in newsletter
    assert "`order_id`" not in md  # an order number is not a person attribute
    # purposes, legal bases, recipients, retention
    assert "| Profilbildung |" in md and "berechtigtes Interesse" in md
    assert "(Export: audience)" in md and "Gastbestellungen (Webshop) | 730 Tage" in md
    assert paths["html"].read_text(encoding="utf-8").startswith("<!doctype html><html lang='de'>")
    # configuration, not text: a changed basis shows in the record
    s.privacy.legal_basis = {**s.privacy.legal_basis, "profiling": "consent"}
    md = write_record_of_processing(s)["markdown"].read_text(encoding="utf-8")
    assert "| Profilbildung | Auswertung des Kaufverhaltens (Kundenwert, Segment, Lebenszyklus) für die " \
           "Auswahl von Angeboten | Einwilligung" in md
    # a purpose's name is configured once (privacy.purpose_names), as its description is
    s.privacy.purpose_names = {**s.privacy.purpose_names, "profiling": "Kundenanalyse"}
    md = write_record_of_processing(s)["markdown"].read_text(encoding="utf-8")
    assert "| Kundenanalyse |" in md and "| Profilbildung |" not in md


def test_cdp_ropa_writes_both_files(tmp_path):
    res = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "ropa"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "data" / "reports" / "record_of_processing.html").is_file()
