"""Embedded reference data: German names by frequency, cities with postcode ranges, streets, products.

Weights are relative frequencies (roughly per 10,000 of the population in the era where the name
was popular, or telephone-book counts for surnames), compact enough to ship in the code.
First names carry the era in which they peaked: ``o`` (born before 1960), ``m`` (1960-1984),
``y`` (1985 and later); the generator up-weights names of a person's birth era.
"""

from __future__ import annotations

import numpy as np

# name:weight:era
_MALE = """
Peter:90:o Klaus:85:o Wolfgang:80:o Jürgen:75:o Dieter:65:o Manfred:60:o Gerhard:60:o Horst:55:o
Günter:55:o Helmut:50:o Werner:50:o Heinz:45:o Hans:55:o Karl:40:o Walter:35:o Rolf:35:o
Bernd:45:o Herbert:30:o Gerd:30:o Uwe:50:m Rainer:40:o Norbert:30:o Ulrich:35:o Siegfried:20:o
Friedrich:25:o Kurt:20:o Willi:20:o Heinrich:20:o Ernst:15:o Erich:15:o Hermann:20:o Alfred:15:o
Otto:12:o Fritz:15:o Wilhelm:15:o Georg:20:o Josef:25:o Franz:20:o Reinhard:25:o Hartmut:20:o
Lothar:15:o Joachim:30:o Volker:30:o Harald:25:o Detlef:20:m Lutz:15:m Eberhard:12:o Gunter:10:o
Ralf:45:m Frank:60:m Thomas:100:m Michael:100:m Andreas:90:m Stefan:80:m Markus:65:m Christian:75:m
Martin:65:m Matthias:55:m Jörg:40:m Dirk:40:m Sven:40:m Torsten:35:m Carsten:30:m Holger:30:m
Oliver:45:m Olaf:25:m Marco:35:m Jens:45:m Kai:25:m Björn:20:m Sascha:25:m Timo:20:m René:20:m
Ingo:20:m Tobias:45:y Daniel:60:m Alexander:60:y Sebastian:55:y Florian:45:y Jan:55:y Patrick:35:m
Dennis:30:y Marcel:30:y Benjamin:30:y Philipp:35:y Marc:25:m André:25:m Steffen:30:m Mario:20:m
Heiko:20:m Axel:20:m Achim:15:o Guido:12:m Roland:20:o Bernhard:20:o Karsten:15:m Mirko:12:m
Robert:30:m Tim:35:y Lukas:45:y Leon:40:y Felix:40:y Jonas:45:y Maximilian:45:y Paul:40:y
Niklas:35:y Luca:30:y Finn:30:y Elias:30:y Noah:25:y Ben:30:y Julian:35:y Fabian:30:y David:35:y
Moritz:30:y Simon:30:y Kevin:30:y Nico:25:y Jannik:20:y Marvin:20:y Lennart:15:y Till:15:y
Johannes:35:y Jakob:20:y Emil:20:y Anton:20:y Henry:15:y Theo:15:y Oskar:12:y Louis:12:y Samuel:12:y
Erik:20:y Leo:20:y Mats:12:y Malte:15:y Hendrik:15:y Henrik:15:y Vincent:12:y Robin:20:y
Dominik:25:y Pascal:20:y Christoph:30:m Benedikt:15:y Konstantin:12:y Nils:25:y Lars:25:m
Jürgen:10:m Günther:15:o Sören:12:m Jörn:10:m Bodo:8:o Gottfried:6:o Egon:8:o Rudolf:15:o
Mehmet:20:m Ali:12:m Mustafa:10:m Ahmet:8:m Can:10:y Emre:10:y Yusuf:10:y Ivan:8:m Igor:6:m
Sergej:10:m Alexej:6:m Dmitri:5:m Piotr:6:m Tomasz:6:m Marek:6:m Luca:8:y Giuseppe:6:o Antonio:8:m
Dimitrios:5:m Konstantinos:4:m Hakan:6:m Murat:10:m Ömer:6:y Hüseyin:5:m Jörg:8:m Björn:6:y
"""

_FEMALE = """
Ursula:80:o Renate:60:o Helga:60:o Monika:75:m Brigitte:60:o Karin:65:o Gisela:50:o Ingrid:55:o
Elke:40:o Erika:45:o Christa:40:o Inge:35:o Hannelore:35:o Gertrud:30:o Elisabeth:50:o Margarete:25:o
Marianne:35:o Rosemarie:25:o Waltraud:25:o Irmgard:25:o Edith:20:o Hildegard:25:o Gerda:20:o
Ilse:20:o Anneliese:20:o Christel:20:o Liselotte:15:o Erna:12:o Heidi:20:o Doris:25:o Bärbel:20:o
Gudrun:20:o Marlies:15:o Jutta:30:o Helene:20:y Sigrid:20:o Rita:20:o Barbara:45:o Petra:70:m
Sabine:85:m Susanne:75:m Andrea:80:m Birgit:55:m Claudia:65:m Martina:55:m Gabriele:55:o
Stefanie:55:m Nicole:60:m Heike:50:m Anja:50:m Silke:35:m Kerstin:40:m Katrin:40:m Tanja:40:m
Sandra:55:m Melanie:40:m Daniela:40:m Alexandra:35:m Simone:40:m Manuela:30:m Anke:35:m Ute:40:m
Ulrike:35:m Cornelia:30:m Angelika:40:o Iris:20:m Bettina:25:m Beate:30:m Dagmar:25:o Regina:25:o
Christine:50:m Christiane:35:m Katharina:40:y Julia:60:y Anna:55:y Laura:45:y Sarah:45:y Lisa:45:y
Lena:45:y Lea:40:y Hannah:40:y Leonie:35:y Marie:45:y Sophie:35:y Sophia:30:y Emma:35:y Mia:30:y
Johanna:30:y Jana:30:y Jessica:30:y Jennifer:30:y Vanessa:25:y Christina:35:y Franziska:30:y
Kathrin:25:m Nadine:30:y Janina:20:y Jasmin:20:y Michelle:20:y Nina:25:y Carina:20:y Anne:30:y
Luisa:20:y Clara:20:y Charlotte:20:y Amelie:20:y Emilia:25:y Lina:20:y Ella:15:y Ida:10:y Greta:12:y
Paula:20:y Frieda:10:y Mila:10:y Maja:15:y Lara:25:y Alina:20:y Celina:10:y Chantal:10:y
Miriam:20:m Eva:30:m Maria:45:o Karina:10:m Verena:20:m Judith:15:m Carolin:20:y Vera:15:m
Antje:20:m Dörte:8:m Brigitta:8:o Käthe:6:o Sieglinde:10:o Wilma:8:o Lieselotte:10:o
Annette:25:m Elena:15:y Natalie:20:y Tatjana:12:m Olga:10:m Irina:10:m Svetlana:8:m Natalia:10:m
Ayşe:8:m Fatma:8:m Elif:10:y Zeynep:8:y Emine:6:o Agnieszka:6:m Katarzyna:6:m Giulia:6:y
Jacqueline:12:m Yvonne:20:m Sonja:25:m Silvia:25:m Angela:25:m Heidrun:12:o Roswitha:12:o
Annika:20:y Svenja:15:y Merle:10:y Pia:15:y Frauke:10:m Wiebke:10:m Maren:12:m Insa:5:y Ronja:8:y
"""

_SURNAMES = """
Müller:256 Schmidt:190 Schneider:115 Fischer:97 Weber:86 Meyer:84 Wagner:79 Becker:76 Schulz:74
Hoffmann:73 Schäfer:62 Koch:60 Bauer:60 Richter:59 Klein:58 Wolf:55 Schröder:53 Neumann:52
Schwarz:51 Zimmermann:50 Braun:48 Krüger:47 Hofmann:47 Hartmann:46 Lange:45 Schmitt:45 Werner:44
Schmitz:44 Krause:44 Meier:43 Lehmann:43 Schmid:42 Schulze:41 Maier:40 Köhler:39 Herrmann:38
König:37 Walter:37 Mayer:36 Huber:35 Kaiser:35 Fuchs:34 Peters:34 Lang:33 Scholz:33 Möller:33
Weiß:33 Jung:32 Hahn:32 Schubert:31 Vogel:31 Friedrich:31 Keller:30 Günther:30 Frank:30 Berger:29
Winkler:29 Roth:29 Beck:28 Lorenz:28 Baumann:28 Franke:27 Albrecht:27 Schuster:27 Simon:27 Ludwig:26
Böhm:26 Winter:26 Kraus:26 Martin:25 Schumacher:25 Krämer:25 Vogt:25 Stein:24 Jäger:24 Otto:24
Sommer:24 Groß:24 Seidel:23 Heinrich:23 Brandt:23 Haas:23 Schreiber:22 Graf:22 Schulte:22
Dietrich:22 Ziegler:22 Kuhn:22 Kühn:21 Pohl:21 Engel:21 Horn:21 Busch:21 Bergmann:21 Thomas:20
Voigt:20 Sauer:20 Arnold:20 Wolff:20 Pfeiffer:19 Lindner:19 Marx:16 Beyer:16 Brinkmann:15
Jürgens:14 Hübner:16 Gärtner:14 Förster:14 Brückner:12 Dörr:10 Fuß:8 Voß:14 Strauß:10 Preuß:9
Lüdtke:8 Rösler:9 Wöhler:6 Kühne:12 Stöhr:6 Jöst:4 Bühler:12 Schäffer:8 Gödde:4 Märtens:5
Ebert:16 Frey:15 Hesse:15 Kaufmann:15 Kramer:16 Lorenz:12 Menzel:15 Nagel:14 Ott:14 Paul:14
Petersen:15 Rieger:11 Sander:14 Schütz:15 Seifert:15 Thiel:15 Ullrich:11 Vetter:10 Weis:10
Wendt:14 Wilhelm:15 Zander:9 Bock:14 Böttcher:14 Dietz:11 Ernst:15 Fiedler:12 Geiger:13 Hansen:16
Haase:15 Heinz:12 Heller:11 Herzog:13 Jansen:15 John:11 Kern:13 Kurz:11 Lehmann:10 Link:11
Mertens:12 Michel:13 Moser:12 Nowak:11 Oswald:8 Pietsch:8 Reuter:12 Ritter:12 Ruf:6 Schenk:12
Schindler:11 Schuler:8 Schwab:12 Stark:12 Stephan:10 Thiele:11 Weiss:9 Weller:8 Witt:10
Wimmer:8 Wirth:10 Ziegler:10 Zimmer:10 Busse:9 Grimm:10 Hein:10 Hermann:10 Kolb:10 Kuhlmann:8
Langer:10 Lutz:11 Maurer:11 Mohr:9 Nolte:8 Ostermann:6 Peter:10 Rademacher:7 Rausch:7 Riedel:10
Runge:8 Schade:8 Schiller:9 Schilling:9 Schramm:9 Seidl:6 Sturm:8 Springer:7 Thomsen:7 Unger:9
Walther:10 Weidner:6 Wiese:8 Wolter:7 Wörner:5 Yilmaz:14 Kaya:8 Demir:8 Şahin:6 Öztürk:6
Kowalski:7 Nowak:6 Schmitz:10 Wagner:8 Hoffmann:6 von Berg:3 von Müller:1 von der Heide:2
zu Salm:1 Freiherr von Stein:1 Bäcker:4 Grün:5 Böhme:7 Schönfeld:5 Fröhlich:9 Kröger:8
Tönnies:3 Höfer:5 Rößler:6 Jünger:3 Späth:4 Mähler:3 Nöthen:2 Düring:3 Blümel:3 Hölzer:3
Schmidt-Weber:2 Müller-Lüdenscheidt:1 Meyer-Hansen:1
"""


def _parse_first(block: str) -> tuple[np.ndarray, np.ndarray]:
    names: list[str] = []
    weights: list[np.ndarray] = []
    seen: dict[str, int] = {}
    eras = "omy"
    for tok in block.split():
        name, w, era = tok.split(":")
        if float(w) <= 0:
            continue
        row = np.full(3, float(w) * 0.25)
        row[eras.index(era)] = float(w)
        if name in seen:
            weights[seen[name]] += row
            continue
        seen[name] = len(names)
        names.append(name)
        weights.append(row)
    return np.array(names, dtype=object), np.array(weights)


def _parse_surnames(block: str) -> tuple[np.ndarray, np.ndarray]:
    acc: dict[str, float] = {}
    for line in block.strip().splitlines():
        # surnames may contain spaces ("von Berg"): split on the weight separators
        for part in _split_tokens(line):
            name, w = part.rsplit(":", 1)
            if float(w) > 0:
                acc[name] = acc.get(name, 0.0) + float(w)
    names = sorted(acc)  # fixed order for determinism
    return np.array(names, dtype=object), np.array([acc[n] for n in names])


def _split_tokens(line: str) -> list[str]:
    out, cur = [], []
    for tok in line.split():
        cur.append(tok)
        if ":" in tok:
            out.append(" ".join(cur))
            cur = []
    return out


MALE_NAMES, MALE_WEIGHTS = _parse_first(_MALE)
FEMALE_NAMES, FEMALE_WEIGHTS = _parse_first(_FEMALE)
SURNAMES, SURNAME_WEIGHTS = _parse_surnames(_SURNAMES)

#: Frequent hyphenated first names (the full form a person is registered under).
MALE_DOUBLE = np.array(
    "Hans-Peter Karl-Heinz Klaus-Dieter Hans-Jürgen Hans-Joachim Hans-Georg Hans-Dieter "
    "Heinz-Werner Jan-Hendrik Jan-Philipp Hans-Werner Klaus-Peter Karl-Josef Franz-Josef "
    "Hans-Ulrich Hans-Christian Jens-Uwe Ernst-August Karl-Friedrich Paul-Luca".split(),
    dtype=object,
)
FEMALE_DOUBLE = np.array(
    "Anna-Lena Marie-Luise Eva-Maria Anna-Maria Ann-Kathrin Lisa-Marie Marie-Christin "
    "Lea-Sophie Anne-Marie Maria-Theresia Hanna-Lena Sarah-Marie Eva-Lotte Julia-Marie "
    "Rose-Marie Karin-Ute Anna-Sophie".split(),
    dtype=object,
)

#: Very common first/last name combinations used for the ``common_name`` hard negatives.
COMMON_NAMES = [
    ("m", "Thomas", "Müller"), ("m", "Michael", "Schmidt"), ("m", "Peter", "Müller"),
    ("m", "Andreas", "Schneider"), ("f", "Sabine", "Müller"), ("f", "Ursula", "Schmidt"),
    ("m", "Stefan", "Fischer"), ("f", "Andrea", "Meyer"), ("m", "Klaus", "Weber"),
    ("f", "Monika", "Wagner"),
]

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
