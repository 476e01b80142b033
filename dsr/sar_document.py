"""The subject-access document (Art. 15 GDPR): a printable HTML page in German.

Written for the person who asked, not for an engineer: plain German labels, dates as
``TT.MM.JJJJ``, one section per kind of data, every item with where it came from (system,
record, delivery file), and the Art. 15(1) information (purposes, legal bases, recipients,
retention, origin, rights) generated from the settings, so it changes when the configuration
does. The machine-readable copy (Art. 20) is the JSON beside it.
"""

from __future__ import annotations

import html
from typing import Any

from cdp.config import Settings
from exports.display import de_date, de_money

BASIS_WORDS = {
    "consent": "Ihre Einwilligung (Art. 6 Abs. 1 lit. a DSGVO)",
    "legitimate_interest": "unser berechtigtes Interesse (Art. 6 Abs. 1 lit. f DSGVO); Sie können "
                           "jederzeit widersprechen (Art. 21 DSGVO)",
    "contract": "Vertragserfüllung (Art. 6 Abs. 1 lit. b DSGVO)",
    "none": "keine – es findet keine Verarbeitung statt",
}
CHANNEL_WORDS = {"email": "E-Mail", "phone": "Telefon", "sms": "SMS", "letter": "Brief",
                 "store": "Filiale", "web": "Webshop", "app": "App", "chat": "Chat", "all": "alle Kanäle"}
STATE_WORDS = {"granted": "erteilt", "withdrawn": "widerrufen", "objection": "Widerspruch",
               "unknown": "keine Angabe", "pending": "unbestätigt (Double-Opt-in ausstehend)"}
TYPE_WORDS = {"order": "Bestellung", "return": "Rücksendung", "invoice": "Rechnung",
              "credit_note": "Gutschrift", "call": "Anruf", "email": "E-Mail", "ticket": "Anfrage",
              "store_visit": "Besuch in der Filiale", "letter": "Brief", "chat": "Chat",
              "newsletter": "Newsletter", "card_purchase": "Einkauf mit Bonuskarte",
              "card_return": "Rückgabe mit Bonuskarte", "consent_change": "Einwilligung geändert"}
METHOD_WORDS = {"double_opt_in": "Double-Opt-in", "web_form": "Webformular", "phone_call": "Telefonat",
                "paper_form": "Papierformular", "store": "Filiale", "letter": "Brief",
                "checkout": "Bestellvorgang", "account": "Kundenkonto", "ticket": "Anfrage"}
LINK_WORDS = {"singleton": "einziger Datensatz", "deterministic": "gleiche Kundennummer/Kartennummer/E-Mail",
              "probabilistic": "Abgleich von Name, Anschrift, Geburtsdatum und Kontaktdaten",
              "must_link": "manuell zugeordnet"}
RIGHTS = [
    ("Auskunft", "Art. 15 DSGVO", "dieses Dokument"),
    ("Berichtigung", "Art. 16 DSGVO", "falsche Angaben korrigieren wir in allen Systemen"),
    ("Löschung", "Art. 17 DSGVO", "soweit keine Aufbewahrungspflicht besteht"),
    ("Einschränkung der Verarbeitung", "Art. 18 DSGVO", "wir speichern, nutzen aber nicht"),
    ("Datenübertragbarkeit", "Art. 20 DSGVO", "die beiliegende JSON-Datei"),
    ("Widerspruch", "Art. 21 DSGVO", "gegen Werbung und Profilbildung jederzeit, ohne Begründung"),
    ("Widerruf einer Einwilligung", "Art. 7 Abs. 3 DSGVO", "jederzeit, mit Wirkung für die Zukunft"),
    ("Beschwerde bei einer Aufsichtsbehörde", "Art. 77 DSGVO", ""),
]

_CSS = """
body{font:11pt/1.45 "DejaVu Sans",Arial,sans-serif;color:#111;max-width:52em;margin:2em auto;padding:0 1em}
h1{font-size:18pt;margin:0 0 .2em}h2{font-size:13pt;border-bottom:1px solid #999;margin-top:1.8em;padding-bottom:.15em}
h3{font-size:11pt;margin:1.2em 0 .3em}.meta,.src{color:#555;font-size:9.5pt}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:9.5pt;table-layout:auto}
th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word;hyphens:auto}
th{background:#eee}dl{display:grid;grid-template-columns:14em 1fr;gap:.2em 1em;margin:.4em 0}
dt{color:#444}dd{margin:0}.note{background:#f4f4f4;padding:.5em .8em;border-left:3px solid #888}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}tr{break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _table(head: list[str], rows: list[list[Any]], empty: str = "keine") -> str:
    if not rows:
        return f"<p><em>{_e(empty)}</em></p>"
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _dl(items: list[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v if v not in (None, '') else '–')}</dd>"
                            for k, v in items) + "</dl>"


def render_sar_html(doc: dict[str, Any], settings: Settings) -> str:
    """The German, printable subject-access document for one export ``doc`` (see dsr.sar)."""
    pv = settings.privacy
    src = pv.source_names

    def system(s: Any) -> str:
        return src.get(str(s), str(s or "–"))

    def purpose_name(pu: Any) -> Any:
        return pv.purpose_names.get(pu, pu)

    p = doc["profile"]
    cust = (p["customer"] or [{}])[0]
    value = (p["customer_value"] or [{}])[0]
    cid = doc["subject"]["customer_id"]
    parts: list[str] = []

    # --- Art. 15(1) information ------------------------------------------------------------
    bases = {r["purpose"]: r for r in p.get("legal_basis", [])}
    purpose_rows = [[purpose_name(pu), pv.purpose_descriptions.get(pu, ""),
                     BASIS_WORDS.get(pv.legal_basis.get(pu, "none"), pv.legal_basis.get(pu)),
                     ("ja" if bases[pu]["has_basis"] else "nein – " + _reason_de(bases[pu]))
                     if pu in bases else "–"]
                    for pu in settings.profiles.purposes]
    recipients = [[r["name"], ", ".join(purpose_name(x) for x in r.get("purposes", []))]
                  for r in pv.recipients]
    retention = [[k, v] for k, v in pv.retention.items()]
    if pv.guest_retention_days:
        retention.append(["Gastbestellungen ohne Kundenkonto",
                          f"{pv.guest_retention_days} Tage nach der letzten Aktivität"])
    origins = sorted({r["source_system"] for r in doc["source_records"]})
    parts.append(
        "<h2>1. Informationen nach Art. 15 Abs. 1 DSGVO</h2>"
        "<h3>Zwecke und Rechtsgrundlagen</h3>"
        + _table(["Zweck", "Was wir tun", "Rechtsgrundlage", "Bei Ihnen zulässig?"], purpose_rows)
        + "<h3>Kategorien von Daten</h3><p>Stammdaten (Name, Anrede, Geburtsdatum), Kontaktdaten "
          "(E-Mail, Telefon, Anschrift), Kundennummern, Kontakte mit uns (Bestellungen, Rechnungen, "
          "Anrufe, Briefe, Anfragen), Einwilligungen und Widersprüche, daraus abgeleitete Werte "
          "(zusammengeführtes Profil, bevorzugter Kontaktweg, Kundenwert).</p>"
        + "<h3>Empfänger</h3>" + _table(["Empfänger", "Zweck"], recipients)
        + "<h3>Speicherdauer</h3>" + _table(["Daten", "Wie lange"], retention)
        + "<h3>Herkunft der Daten</h3><p>Ihre Daten stammen aus unseren eigenen Systemen: "
        + _e(", ".join(system(o) for o in origins) or "–") + ". Jede Angabe unten nennt ihr System.</p>"
        + "<h3>Automatisierte Entscheidungen und Profilbildung</h3><p>Aus Ihren Käufen berechnen wir "
          "einen Kundenwert und ein Segment (Aktualität, Häufigkeit, Umsatz), um Angebote auszuwählen. "
          "Es gibt keine Entscheidung mit rechtlicher Wirkung (Art. 22 DSGVO). Ohne Rechtsgrundlage "
          "(z. B. nach einem Widerspruch) wird nichts berechnet.</p>"
        + "<h3>Ihre Rechte</h3>"
        + _table(["Recht", "Grundlage", "Hinweis"],
                 [[a, b, c or pv.supervisory_authority] for a, b, c in RIGHTS])
        + f"<p>Verantwortlich: {_e(pv.controller)}. Datenschutz: {_e(pv.dpo_contact)}.</p>")

    # --- profile ----------------------------------------------------------------------------
    address = ", ".join(x for x in [" ".join(x for x in [cust.get("street"), cust.get("house_number")] if x),
                                    " ".join(x for x in [cust.get("postcode"), cust.get("city")] if x)] if x)
    parts.append(
        "<h2>2. Ihr zusammengeführtes Kundenprofil</h2><p class='src'>Aus allen Datensätzen, die zu "
        "Ihnen gehören, wählen wir je Angabe die verlässlichste bzw. neueste; in Klammern das System.</p>"
        + _dl([
            ("Kundennummer (CDP)", cid),
            ("Name", f"{' '.join(x for x in [cust.get('salutation'), cust.get('title'), cust.get('first_name'), cust.get('last_name')] if x)}"
                     f" ({system(cust.get('name_source'))})"),
            ("Geburtsdatum", f"{de_date(cust.get('birth_date'))} ({system(cust.get('birth_date_source'))})"
             if cust.get("birth_date") else None),
            ("E-Mail", f"{cust.get('email')} ({system(cust.get('email_source'))})" if cust.get("email") else None),
            ("Telefon", f"{cust.get('phone')} ({system(cust.get('phone_source'))})" if cust.get("phone") else None),
            ("Mobil", f"{cust.get('mobile')} ({system(cust.get('mobile_source'))})" if cust.get("mobile") else None),
            ("Anschrift", f"{address} ({system(cust.get('address_source'))})" if address else None),
            ("Weitere E-Mail-Adressen", ", ".join(cust.get("emails") or [])),
            ("Weitere Rufnummern", ", ".join(cust.get("phones") or [])),
            ("Weitere Anschriften", "; ".join(cust.get("addresses") or [])),
            ("Kunde seit", de_date(cust.get("first_seen"))),
        ]))

    # --- source records ---------------------------------------------------------------------
    rec_rows = [[system(r.get("source_system")), r.get("source_record_id"),
                 " ".join(x for x in [r.get("first_name"), r.get("last_name")] if x),
                 de_date(r.get("birth_date")), r.get("email"),
                 ", ".join(x for x in [r.get("phone"), r.get("mobile")] if x),
                 ", ".join(x for x in [" ".join(x for x in [r.get("street"), r.get("house_number")] if x),
                                       " ".join(x for x in [r.get("postcode"), r.get("city")] if x)] if x),
                 de_date(r.get("updated_at"))]
                for r in doc["source_records"]]
    links = {r["record_key"]: r for r in doc["identity_links"]}
    match_rows = [[system(r.get("source_system")), r.get("source_record_id"),
                   LINK_WORDS.get(r.get("link_method"), r.get("link_method")),
                   f"{100 * r['match_probability']:.1f} %".replace(".", ",")
                   if r.get("match_probability") is not None else "–"]
                  for r in links.values()]
    deliveries = [[system(str(d.get("_source_file", "")).split("/")[0]), de_date(d.get("_load_date")),
                   d.get("_source_file"), d.get("_row_number")] for d in doc["source_deliveries"]]
    parts.append(
        "<h2>3. Ihre Datensätze in unseren Systemen</h2>"
        + _table(["System", "Nummer", "Name", "Geburtsdatum", "E-Mail", "Telefon", "Anschrift", "Stand"],
                 rec_rows)
        + "<h3>Wie Ihre Datensätze zusammengeführt wurden</h3>"
        + _table(["System", "Nummer", "Grund", "Sicherheit"], match_rows)
        + "<h3>Lieferungen, in denen Ihre Datensätze enthalten waren</h3>"
        + _table(["System", "Lieferdatum", "Datei", "Zeile"], deliveries)
        + "<h3>Zeilen mit Ihren Daten, die bei der Lieferung abgewiesen wurden</h3>"
        # the rows exactly as the source delivered them (its own date formats included)
        + '<div class="as-delivered">'
        + _table(["System", "Datei", "Zeile", "Geprüfte Regel", "Inhalt wie geliefert"],
                 [[system(str(q.get("_source_file", "")).split("/")[0]), q.get("_source_file"),
                   q.get("_row_number"), ", ".join(q.get("_failed_rules") or []), q.get("_raw")]
                  for q in doc.get("rejected_deliveries", [])])
        + "</div>")

    # --- consent ----------------------------------------------------------------------------
    cur = [[purpose_name(r["purpose"]), CHANNEL_WORDS.get(r["channel"], r["channel"]),
            _point(r.get("contact_point")), STATE_WORDS.get(r["state"], r["state"]),
            de_date(r.get("decided_at")), system(r.get("source")) if r.get("source") else "–",
            METHOD_WORDS.get(r.get("method"), r.get("method") or "–")]
           for r in p["consent"] if r["state"] != "unknown"]
    ev = [[de_date(r.get("ts"), time=True), purpose_name(r["purpose"]),
           CHANNEL_WORDS.get(r["channel"], r["channel"]), _point(r.get("contact_point")),
           STATE_WORDS.get(r["status"], r["status"]), METHOD_WORDS.get(r.get("method"), r.get("method") or "–"),
           r.get("evidence") or "–", system(r.get("source"))]
          for r in doc["consent_events"]]
    obj = [[purpose_name(o["purpose"]), de_date(o.get("objected_at")), system(o.get("source")),
            TYPE_WORDS.get(o.get("how"), METHOD_WORDS.get(o.get("how"), o.get("how"))),
            "wirksam" if o.get("active") else "durch spätere Einwilligung ersetzt"]
           for o in p.get("objections", [])]
    parts.append(
        "<h2>4. Einwilligungen und Widersprüche</h2><p class='src'>Eine Einwilligung gilt für die "
        "Adresse bzw. Rufnummer, für die Sie sie gegeben haben.</p>"
        "<h3>Aktueller Stand</h3>"
        + _table(["Zweck", "Kanal", "Adresse / Nummer", "Stand", "seit", "System", "Wie"], cur,
                 "Sie haben uns keine Einwilligung erteilt und keine widerrufen.")
        + "<h3>Widersprüche</h3>" + _table(["Zweck", "Datum", "System", "Eingegangen als", "Status"], obj)
        + "<h3>Alle Erklärungen</h3>"
        + _table(["Zeitpunkt", "Zweck", "Kanal", "Adresse / Nummer", "Erklärung", "Wie", "Nachweis", "System"], ev))

    # --- contacts ---------------------------------------------------------------------------
    contacts = [[de_date(c.get("ts"), time=True), CHANNEL_WORDS.get(c.get("channel"), c.get("channel") or "–"),
                 TYPE_WORDS.get(c.get("type"), c.get("type")), c.get("summary") or "",
                 de_money(c["amount"]) if c.get("amount") is not None else "",
                 system(c.get("source")), f"{c.get('source_file') or ''}, Zeile {c.get('source_row_number')}"
                 if c.get("source_file") else ""]
                for c in doc["contact_events"] if c.get("type") != "consent_change"]
    parts.append("<h2>5. Ihre Kontakte mit uns</h2>"
                 + _table(["Zeitpunkt", "Kanal", "Art", "Betreff", "Betrag", "System", "Herkunft"], contacts))

    # --- derived ----------------------------------------------------------------------------
    chans = [[purpose_name(r["purpose"]),
              CHANNEL_WORDS.get(r.get("channel"), r.get("channel")) if r.get("channel") else "keiner",
              r.get("contact_point") or "–"] for r in p["preferred_channel"]]
    profiling = (_dl([("Käufe", value.get("orders")), ("Umsatz (netto)", de_money(value.get("revenue"))),
                      ("Segment", value.get("rfm_segment")), ("Geschätzter Kundenwert", de_money(value.get("clv_estimate"))),
                      ("Lebenszyklus", value.get("lifecycle_stage"))])
                 if value.get("profiling_allowed") else
                 _dl([("Käufe", value.get("orders")), ("Umsatz (netto)", de_money(value.get("revenue")))])
                 + f"<p class='note'>Keine Profilbildung: {_e(value.get('profiling_reason') or '–')}.</p>")
    parts.append("<h2>6. Abgeleitete Angaben</h2><h3>Kontaktweg</h3>"
                 + _table(["Zweck", "Kanal", "Adresse / Nummer"], chans)
                 + "<h3>Kundenwert</h3>" + profiling)
    if p.get("processing_restriction"):
        r = p["processing_restriction"][0]
        parts.append(f"<h2>7. Einschränkung der Verarbeitung</h2><p>Seit {de_date(r.get('restricted_at'))}: "
                     "Ihre Daten werden gespeichert, aber nicht für Werbung oder Profilbildung genutzt.</p>")

    generated = de_date(doc["generated_at"], time=True)
    return ("<!doctype html><html lang='de'><head><meta charset='utf-8'>"
            f"<title>Auskunft nach Art. 15 DSGVO – {_e(cid)}</title><style>{_CSS}</style></head><body>"
            "<h1>Auskunft über Ihre personenbezogenen Daten</h1>"
            f"<p class='meta'>nach Art. 15 DSGVO · Kundennummer {_e(cid)} · erstellt am {generated} (UTC) · "
            f"{_e(pv.controller)}</p>"
            + "".join(parts) + "</body></html>")


def _point(v: Any) -> str:
    return "alle" if v == "all" else str(v or "–")


def _reason_de(row: dict[str, Any]) -> str:
    code = str(row.get("reason_code") or "")
    return {"objection": f"Widerspruch vom {de_date(row.get('objected_at'))}",
            "consent_withdrawn": "Einwilligung widerrufen", "no_consent": "keine Einwilligung",
            "not_configured": "keine Rechtsgrundlage"}.get(code, str(row.get("reason") or ""))
