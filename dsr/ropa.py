"""The record of processing activities (Art. 30(1) GDPR), generated from the data contracts and
the settings, as Markdown and HTML under ``data/reports/`` for the DPO to file.

Which personal fields each source delivers comes from the contracts' canonical mappings (a
field mapped to a person attribute, a contact point or a person link is personal); purposes,
legal bases, recipients and retention from ``settings.privacy``; guest retention per source
from the contracts. Regenerated on every pipeline run (Dagster asset ``reports/record_of_processing``)
and by :func:`write_record_of_processing`, so it never drifts from what the platform does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp.config import Settings
from cdp.lake import write_text_atomic
from pipelines.contracts import Entity, contracts_of
from privacy.retention import guest_retention_days

#: canonical column -> (category, German label) for the columns that hold personal data
PERSONAL = {
    "person_records": {
        "source_record_id": ("Kennnummern", "Kundennummer im System"),
        "salutation": ("Stammdaten", "Anrede"), "title": ("Stammdaten", "Titel"),
        "first_name": ("Stammdaten", "Vorname"), "last_name": ("Stammdaten", "Nachname"),
        "birth_date": ("Stammdaten", "Geburtsdatum"),
        "email": ("Kontaktdaten", "E-Mail-Adresse"), "email_verified": ("Kontaktdaten", "E-Mail bestätigt"),
        "phone": ("Kontaktdaten", "Telefonnummer"), "mobile": ("Kontaktdaten", "Mobilnummer"),
        "street": ("Kontaktdaten", "Straße"), "house_number": ("Kontaktdaten", "Hausnummer"),
        "postcode": ("Kontaktdaten", "Postleitzahl"), "city": ("Kontaktdaten", "Ort"),
        "country": ("Kontaktdaten", "Land"),
        "xref_erp_customer_no": ("Kennnummern", "ERP-Kundennummer (Verweis)"),
        "xref_bonus_card_no": ("Kennnummern", "Bonuskartennummer (Verweis)"),
        "stated_channel": ("Präferenzen", "bevorzugter Kanal"),
    },
    "contact_events": {
        "person_record_key": ("Kontakthistorie", "Zuordnung zur Person"),
        "summary": ("Kontakthistorie", "Betreff"), "amount": ("Kaufdaten", "Betrag"),
        "product_models": ("Kaufdaten", "gekaufte Produkte"), "store_id": ("Kaufdaten", "Filiale"),
        "ts": ("Kontakthistorie", "Zeitpunkt"),
    },
    "consent_events": {
        "person_record_key": ("Einwilligungen", "Zuordnung zur Person"),
        "contact_point": ("Einwilligungen", "Adresse/Nummer der Einwilligung"),
        "status": ("Einwilligungen", "Erklärung (erteilt, widerrufen, Widerspruch)"),
        "evidence": ("Einwilligungen", "Nachweis"), "ts": ("Einwilligungen", "Zeitpunkt"),
    },
}
BASIS = {"consent": "Einwilligung, Art. 6 Abs. 1 lit. a DSGVO",
         "legitimate_interest": "berechtigtes Interesse, Art. 6 Abs. 1 lit. f DSGVO (Widerspruchsrecht Art. 21)",
         "contract": "Vertragserfüllung, Art. 6 Abs. 1 lit. b DSGVO", "none": "keine (keine Verarbeitung)"}
MEASURES = [
    "Einwilligung je Adresse/Rufnummer; Exporte nur an Kontaktpunkte mit eigener Einwilligung",
    "Widersprüche (Art. 21) aus jedem System sperren den Zweck in allen Kanälen",
    "ohne Rechtsgrundlage keine Profilbildung (keine Scores, Segmente, CLV)",
    "Löschung mit Tombstone (nur verschlüsselte Prüfsummen), Wiederkehr nach erneuter Lieferung ausgeschlossen",
    "Einschränkung der Verarbeitung (Art. 18) wirkt in Profilen und Exporten",
    "pseudonymisierte Analysetabellen (HMAC), rollenbezogene Sichten für den Kundenservice",
    "Protokoll aller Datenschutz-Vorgänge (data/privacy/audit_log.jsonl)",
]


@dataclass
class SourceFields:
    source: str
    entity: str
    description: str
    fields: list[tuple[str, str, str]]  # (contract field, category, German label)


def personal_fields(entity: Entity) -> list[tuple[str, str, str]]:
    """The contract fields of one entity that carry personal data, with category and label."""
    out: dict[str, tuple[str, str, str]] = {}
    known = {f.name for f in entity.fields}
    for table, mapping in entity.canonical.items():
        for column, m in mapping.items():
            if column not in PERSONAL.get(table, {}):
                continue
            for f in _fields_of(m):
                if f in known:
                    out.setdefault(f, (f, *PERSONAL[table][column]))
    return sorted(out.values(), key=lambda x: (x[1], x[0]))


def _fields_of(m: Any) -> list[str]:
    if isinstance(m, str):
        return [m]
    if not isinstance(m, dict):
        return []
    out = [m["field"]] if "field" in m else []
    for k in ("then", "else", "default"):
        out += _fields_of(m.get(k))
    return out


def record_of_processing(settings: Settings) -> dict[str, Any]:
    """The record as data: controller, activities per purpose, sources with personal fields."""
    pv = settings.privacy
    contracts = contracts_of(settings)
    guests = guest_retention_days(settings, {s: c.guest_retention_days for s, c in contracts.items()})
    sources = [SourceFields(c.source, e.name, c.description, personal_fields(e))
               for c in contracts.values() for e in c.entities]
    activities = []
    for pu in settings.profiles.purposes:
        basis = pv.legal_basis.get(pu, "none")
        activities.append({
            "purpose": pu, "name": pv.purpose_names.get(pu, pu), "description": pv.purpose_descriptions.get(pu, ""),
            "legal_basis": BASIS.get(basis, basis),
            "recipients": [r["name"] + f" (Export: {r.get('export', '–')})" for r in pv.recipients
                           if pu in r.get("purposes", [])],
        })
    retention = dict(pv.retention)
    for src, days in sorted(guests.items()):
        retention[f"Gastbestellungen ({pv.source_names.get(src, src)})"] = (
            f"{days} Tage nach der letzten Aktivität" if days else "unbegrenzt (keine Frist im Vertrag)")
    return {"controller": pv.controller, "dpo": pv.dpo_contact, "activities": activities,
            "sources": sources, "source_names": pv.source_names, "retention": retention,
            "subjects": "Kunden, Interessenten, Newsletter-Abonnenten, Gastbesteller, Mitglieder des Bonusprogramms",
            "measures": MEASURES, "generated_at": datetime.now(UTC)}


def to_markdown(r: dict[str, Any]) -> str:
    """The record as Markdown."""
    lines = ["# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)", "",
             f"Verantwortlicher: {r['controller']}  ", f"Datenschutzbeauftragte/r: {r['dpo']}  ",
             f"Stand: {r['generated_at']:%d.%m.%Y %H:%M} UTC (aus den Datenverträgen und Einstellungen erzeugt)", "",
             "Verarbeitung: Customer Data Platform – Zusammenführung der Kundendaten aus ERP, CRM, "
             "Webshop und Bonusprogramm zu einem Kundenprofil.", "",
             f"Betroffene Personen: {r['subjects']}", "", "## Zwecke, Rechtsgrundlagen, Empfänger", "",
             "| Zweck | Beschreibung | Rechtsgrundlage | Empfänger |", "|---|---|---|---|"]
    for a in r["activities"]:
        lines.append(f"| {a['name']} | {a['description']} | {a['legal_basis']} | "
                     f"{'; '.join(a['recipients']) or '–'} |")
    lines += ["", "## Personenbezogene Daten je Quelle", ""]
    for s in r["sources"]:
        lines += [f"### {r['source_names'].get(s.source, s.source)} – {s.entity}", "",
                  "| Feld in der Lieferung | Kategorie | Bedeutung |", "|---|---|---|"]
        lines += [f"| `{f}` | {cat} | {label} |" for f, cat, label in s.fields] or ["| – | – | – |"]
        lines.append("")
    lines += ["## Löschfristen", "", "| Daten | Frist |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in r["retention"].items()]
    lines += ["", "## Technische und organisatorische Maßnahmen (Art. 32)", ""]
    lines += [f"- {m}" for m in r["measures"]]
    return "\n".join(lines) + "\n"


def to_html(r: dict[str, Any]) -> str:
    """The record as a printable HTML page."""
    e = html.escape

    def table(head: list[str], rows: list[list[str]]) -> str:
        return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
                + "</tbody></table>")

    body = [f"<h1>Verzeichnis von Verarbeitungstätigkeiten</h1><p class='meta'>Art. 30 Abs. 1 DSGVO · "
            f"Stand {r['generated_at']:%d.%m.%Y %H:%M} UTC · aus Datenverträgen und Einstellungen erzeugt</p>",
            f"<p>Verantwortlicher: {e(r['controller'])}<br>Datenschutzbeauftragte/r: {e(r['dpo'])}</p>",
            f"<p>Betroffene Personen: {e(r['subjects'])}</p>",
            "<h2>Zwecke, Rechtsgrundlagen, Empfänger</h2>",
            table(["Zweck", "Beschreibung", "Rechtsgrundlage", "Empfänger"],
                  [[a["name"], a["description"], a["legal_basis"], "; ".join(a["recipients"]) or "–"]
                   for a in r["activities"]]),
            "<h2>Personenbezogene Daten je Quelle</h2>"]
    for s in r["sources"]:
        body.append(f"<h3>{e(r['source_names'].get(s.source, s.source))} – {e(s.entity)}</h3>")
        body.append(table(["Feld in der Lieferung", "Kategorie", "Bedeutung"], [list(f) for f in s.fields]))
    body.append("<h2>Löschfristen</h2>" + table(["Daten", "Frist"], [[k, v] for k, v in r["retention"].items()]))
    body.append("<h2>Technische und organisatorische Maßnahmen (Art. 32)</h2><ul>"
                + "".join(f"<li>{e(m)}</li>" for m in r["measures"]) + "</ul>")
    css = ("body{font:11pt/1.45 Arial,sans-serif;max-width:52em;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;width:100%;font-size:9.5pt;margin:.4em 0 1em}"
           "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}"
           ".meta{color:#555}@media print{body{margin:0;max-width:none}}")
    return ("<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Verzeichnis von "
            f"Verarbeitungstätigkeiten</title><style>{css}</style></head><body>" + "".join(body) + "</body></html>")


def write_record_of_processing(settings: Settings) -> dict[str, Path]:
    """Write ``data/reports/record_of_processing.md`` and ``.html`` (atomically); return the paths."""
    r = record_of_processing(settings)
    out = settings.paths.reports
    return {"markdown": write_text_atomic(to_markdown(r), out / "record_of_processing.md"),
            "html": write_text_atomic(to_html(r), out / "record_of_processing.html")}
