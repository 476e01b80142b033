"""Embedded reference data: names, cities with postcode ranges, streets, products.

The name vocabulary (surnames and first names of every origin, by frequency and birth cohort)
is built in :mod:`simulator.names`; ``MALE_NAMES`` / ``FEMALE_NAMES`` / ``SURNAMES`` and their
weights are flat views of it for callers that need one list (built on first use).
City weights are populations in thousands.
"""

from __future__ import annotations

import numpy as np

from simulator import names as _names

# city:weight(population in thousands):plz_low:plz_high:area_code
_CITIES = """
Berlin:3650:10115:14199:030 Hamburg:1850:20095:22769:040 München:1500:80331:81929:089
Köln:1080:50667:51149:0221 Frankfurt am Main:760:60306:60599:069 Stuttgart:630:70173:70629:0711
Düsseldorf:620:40210:40629:0211 Leipzig:600:04103:04357:0341 Dortmund:590:44135:44388:0231
Essen:580:45127:45359:0201 Bremen:565:28195:28779:0421 Dresden:555:01067:01328:0351
Hannover:535:30159:30669:0511 Nürnberg:520:90402:90491:0911 Duisburg:495:47051:47279:0203
Bochum:365:44787:44894:0234 Wuppertal:355:42103:42399:0202 Bielefeld:335:33602:33739:0521
Bonn:330:53111:53229:0228 Münster:315:48143:48167:0251 Mannheim:310:68159:68309:0621
Karlsruhe:305:76131:76229:0721 Augsburg:295:86150:86199:0821 Wiesbaden:280:65183:65207:0611
Mönchengladbach:260:41061:41239:02161 Gelsenkirchen:260:45879:45899:0209 Aachen:250:52062:52080:0241
Braunschweig:250:38100:38126:0531 Kiel:245:24103:24159:0431 Chemnitz:245:09111:09247:0371
Halle (Saale):240:06108:06132:0345 Magdeburg:235:39104:39130:0391 Freiburg im Breisgau:230:79098:79117:0761
Krefeld:225:47798:47839:02151 Mainz:220:55116:55131:06131 Lübeck:215:23552:23570:0451
Erfurt:215:99084:99099:0361 Oberhausen:210:46045:46149:0208 Rostock:210:18055:18147:0381
Kassel:200:34117:34134:0561 Hagen:190:58089:58135:02331 Potsdam:180:14467:14482:0331
Saarbrücken:180:66111:66133:0681 Hamm:180:59063:59077:02381 Ludwigshafen am Rhein:170:67059:67071:0621
Oldenburg:170:26121:26135:0441 Mülheim an der Ruhr:170:45468:45481:0208 Osnabrück:165:49074:49090:0541
Leverkusen:165:51371:51381:0214 Darmstadt:160:64283:64297:06151 Heidelberg:160:69115:69126:06221
Solingen:160:42651:42719:0212 Regensburg:155:93047:93059:0941 Herne:155:44623:44653:02323
Paderborn:150:33098:33106:05251 Neuss:150:41460:41472:02131 Ingolstadt:140:85049:85057:0841
Offenbach am Main:130:63065:63075:069 Würzburg:128:97070:97084:0931 Ulm:126:89073:89081:0731
Heilbronn:126:74072:74081:07131 Pforzheim:125:75172:75181:07231 Wolfsburg:124:38440:38448:05361
Göttingen:118:37073:37085:0551 Bottrop:117:46236:46244:02041 Reutlingen:116:72760:72770:07121
Koblenz:114:56068:56077:0261 Bremerhaven:113:27568:27580:0471 Bergisch Gladbach:111:51427:51469:02202
Jena:110:07743:07751:03641 Remscheid:111:42853:42899:02191 Erlangen:112:91052:91058:09131
Trier:110:54290:54296:0651 Salzgitter:104:38226:38259:05341 Siegen:102:57072:57080:0271
Hildesheim:101:31134:31141:05121 Cottbus:99:03042:03055:0355 Lüneburg:75:21335:21339:04131
Görlitz:56:02826:02828:03581 Weimar:65:99423:99427:03643 Passau:52:94032:94036:0851
Bamberg:77:96047:96052:0951 Fulda:68:36037:36043:0661 Konstanz:85:78462:78467:07531
Schwerin:96:19053:19063:0385 Flensburg:90:24937:24944:0461 Zwickau:88:08056:08068:0375
Tübingen:91:72070:72076:07071 Marburg:76:35037:35043:06421 Gießen:90:35390:35398:0641
Landshut:73:84028:84036:0871 Rosenheim:64:83022:83026:08031 Kempten (Allgäu):69:87435:87439:0831
"""


def _parse_cities(block: str):
    rows = []
    for line in block.strip().splitlines():
        for part in _split_city_tokens(line):
            name, w, lo, hi, area = part.rsplit(":", 4)
            rows.append((name, float(w), int(lo), int(hi), area))
    return rows


def _split_city_tokens(line: str) -> list[str]:
    out, cur = [], []
    for tok in line.split():
        cur.append(tok)
        if tok.count(":") == 4 or (cur and " ".join(cur).count(":") == 4):
            out.append(" ".join(cur))
            cur = []
    return out


_city_rows = _parse_cities(_CITIES)
CITY_NAMES = np.array([r[0] for r in _city_rows], dtype=object)
CITY_WEIGHTS = np.array([r[1] for r in _city_rows])
CITY_PLZ_LO = np.array([r[2] for r in _city_rows])
CITY_PLZ_HI = np.array([r[3] for r in _city_rows])
CITY_AREA = np.array([r[4] for r in _city_rows], dtype=object)

#: Street names (without house number), frequent German street names first.
STREETS = np.array(
    [
        "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße",
        "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Schillerstraße",
        "Goethestraße", "Wiesenweg", "Jahnstraße", "Amselweg", "Mühlenweg", "Rosenweg",
        "Feldstraße", "Buchenweg", "Mozartstraße", "Talstraße", "Poststraße", "Eichenweg",
        "Am Sportplatz", "Beethovenstraße", "Raiffeisenstraße", "Wilhelmstraße", "Lessingstraße",
        "Industriestraße", "Friedrichstraße", "Uhlandstraße", "Kastanienallee", "Mittelstraße",
        "Parkstraße", "Tulpenweg", "Drosselweg", "Kiefernweg", "Am Bahnhof", "Marktplatz",
        "Breite Straße", "Lange Straße", "Schloßstraße", "Königstraße", "Kaiserstraße",
        "Karlstraße", "Ludwigstraße", "Römerstraße", "Steinweg", "Sonnenstraße", "Blumenstraße",
        "Neue Straße", "Alte Dorfstraße", "Im Winkel", "Brunnenstraße", "Kurze Straße",
        "Gartenweg", "Luisenstraße", "Hölderlinweg", "Mörikestraße", "Fröbelstraße",
        "Grüner Weg", "Am Anger", "Weißdornweg", "Rathausplatz", "Heinrich-Heine-Straße",
        "Bismarckstraße", "Frankfurter Straße", "Berliner Straße", "Hamburger Straße",
        "Münchener Straße", "Kölner Straße", "Lindenallee", "Eichendorffstraße",
        "Max-Planck-Straße", "Robert-Koch-Straße", "Albert-Schweitzer-Straße", "Fliederweg",
        "Ahornweg", "Erlenweg", "Am Markt", "Sudetenstraße", "Danziger Straße", "Uferstraße",
        "Mühlstraße", "Hohe Straße", "Weststraße", "Oststraße", "Südstraße", "Nordstraße",
        "Fasanenweg", "Lerchenweg", "Meisenweg", "Finkenweg", "Schwalbenweg", "Zum Sportplatz",
        "Rheinstraße", "Mainstraße", "Elbstraße", "Weserstraße", "Große Straße", "Kleine Straße",
        "Lärchenweg", "Fichtenstraße", "Tannenweg", "Gustav-Heinemann-Straße", "Lutherstraße",
    ],
    dtype=object,
)
STREET_WEIGHTS = 1.0 / (np.arange(len(STREETS)) + 8.0)

#: Mobile prefixes (without the leading 0) and their relative share.
MOBILE_PREFIXES = np.array(
    ["151", "152", "157", "159", "160", "162", "163", "170", "171", "172", "173", "174",
     "175", "176", "177", "178", "179", "1511", "1520", "1522", "1573", "1590"],
    dtype=object,
)

#: E-mail providers of German consumers and their rough market share.
EMAIL_PROVIDERS = np.array(
    ["gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "hotmail.de", "yahoo.de",
     "posteo.de", "freenet.de", "icloud.com", "gmx.net", "mail.de", "arcor.de", "aol.com",
     "outlook.com", "googlemail.com"],
    dtype=object,
)
EMAIL_PROVIDER_WEIGHTS = np.array(
    [19, 18, 11, 17, 5, 5, 4, 2, 3, 4, 4, 1.5, 1.5, 1, 2, 2], dtype=float
)

#: The product catalogue: sku, product model, name, list price (EUR).
PRODUCTS = [
    ("100200", "KM-200", "Kaffeemaschine KM-200", 129.95),
    ("100210", "KM-250", "Kaffeemaschine KM-250 Thermo", 159.00),
    ("100300", "VA-300", "Vollautomat VA-300", 549.00),
    ("100310", "VA-500", "Vollautomat VA-500 Milch", 799.00),
    ("100400", "WK-17", "Wasserkocher WK-17", 39.99),
    ("100410", "WK-20", "Wasserkocher WK-20 Glas", 49.99),
    ("100500", "TO-2", "Toaster TO-2", 34.95),
    ("100510", "TO-4", "Toaster TO-4 Langschlitz", 59.95),
    ("100600", "SM-10", "Standmixer SM-10", 89.00),
    ("100610", "HM-5", "Handmixer HM-5", 29.99),
    ("100700", "KG-1", "Küchenmaschine KG-1", 299.00),
    ("100710", "KG-3", "Küchenmaschine KG-3 Profi", 479.00),
    ("100800", "SB-8", "Staubsauger SB-8 beutellos", 199.00),
    ("100810", "SR-2", "Saugroboter SR-2", 349.00),
    ("100900", "BE-3", "Bügeleisen BE-3", 44.95),
    ("100910", "DB-6", "Dampfbügelstation DB-6", 179.00),
    ("101000", "ZB-1", "Zahnbürste ZB-1 elektrisch", 49.95),
    ("101010", "RA-7", "Rasierer RA-7", 119.00),
    ("101100", "HF-2", "Haartrockner HF-2", 39.95),
    ("101200", "LR-9", "Luftreiniger LR-9", 229.00),
    ("101300", "ES-1", "Entkalker ES-1 (3er)", 12.99),
    ("101310", "FI-4", "Wasserfilter FI-4 (4er)", 24.99),
    ("101320", "KB-1", "Kaffeebohnen Crema 1 kg", 16.95),
    ("101330", "ZU-5", "Zubehörset ZU-5", 19.95),
]
#: Relative popularity of the products (accessories sell most often).
PRODUCT_WEIGHTS = np.array(
    [8, 5, 3, 2, 9, 6, 8, 4, 4, 7, 2, 1, 4, 2, 6, 2, 6, 3, 6, 1, 14, 12, 16, 8], dtype=float
)

#: Interaction subjects per type.
SUBJECTS = {
    "call": ["Frage zur Rechnung", "Lieferstatus", "Reklamation", "Produktberatung",
             "Adressänderung", "Rückruf erbeten", "Garantiefall", "Bestellung telefonisch"],
    "email": ["Frage zur Bestellung", "Rücksendung", "Rechnungskopie", "Passwort vergessen",
              "Lieferadresse ändern", "Produktfrage"],
    "ticket": ["Reklamation Gerät defekt", "Lieferung unvollständig", "Falsche Abbuchung",
               "Garantieantrag", "Beschwerde Kundendienst"],
    "store_visit": ["Beratung Filiale", "Abholung", "Umtausch in der Filiale", "Reparaturannahme"],
    "letter": ["Schriftliche Beschwerde", "Kündigung Newsletter", "Widerspruch Werbung",
               "Adressänderung per Brief"],
    "chat": ["Chat: Lieferzeit", "Chat: Gutscheincode", "Chat: Produktfrage"],
    "campaign_email": ["Newsletter Frühjahr", "Newsletter Sommer", "Herbstaktion",
                       "Black Week", "Weihnachtsangebote", "Neujahrsrabatt", "Bonuspunkte x2"],
}

#: Keyboard neighbours on a German QWERTZ layout, for realistic typos.
QWERTZ_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "rzg", "z": "tuh", "u": "zij", "i": "uok",
    "o": "ipl", "p": "oü", "ü": "pä", "a": "qsy", "s": "adw", "d": "sfe", "f": "dgr", "g": "fht",
    "h": "gjz", "j": "hku", "k": "jli", "l": "kö", "ö": "lä", "ä": "öü", "y": "xa", "x": "yc",
    "c": "xv", "v": "cb", "b": "vn", "n": "bm", "m": "n",
}


def _flat(kind: str):
    """Names of every origin with weights: first names (names × 3 eras), surnames (names)."""
    acc: dict[str, np.ndarray | float] = {}
    years = _names.YEARS
    eras = [(years < 1960), (years >= 1960) & (years < 1985), (years >= 1985)]
    for o in _names.origins():
        if kind == "surnames":
            for n, p in zip(o.surnames, o.surname_p * o.share, strict=True):
                acc[n] = acc.get(n, 0.0) + p
            continue
        names, p = (o.male, o.male_p) if kind == "male" else (o.female, o.female_p)
        w = np.stack([p[e].mean(axis=0) * o.share * o.eras[i] for i, e in enumerate(eras)], axis=1)
        for n, row in zip(names, w, strict=True):
            acc[n] = acc.get(n, 0.0) + row
    keys = sorted(acc)
    return np.array(keys, dtype=object), np.array([acc[k] for k in keys])


_FLAT = {"MALE_NAMES": ("male", 0), "MALE_WEIGHTS": ("male", 1), "FEMALE_NAMES": ("female", 0),
         "FEMALE_WEIGHTS": ("female", 1), "SURNAMES": ("surnames", 0), "SURNAME_WEIGHTS": ("surnames", 1)}


def __getattr__(name: str):
    if name in _FLAT:
        kind, i = _FLAT[name]
        value = _flat(kind)[i]
        globals()[name] = value
        return value
    raise AttributeError(name)
