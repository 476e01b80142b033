"""Name vocabulary of the simulated population, built deterministically from compact seed lists.

Germany has hundreds of thousands of surnames with a long tail, and about a quarter of its people
carry names of other origins. No name list is downloaded: each origin has a few hundred real,
common surnames (most frequent first) and word-formation rules of its language (German
``Stein`` + ``feld``, Polish stem + ``-owski``, Turkish ``Öz`` + ``türk``, South Slavic stem +
``-ović`` …) that compose thousands more. Frequencies follow Zipf's law: the real head keeps its
telephone-book counts (German) or a 1/rank law, and the composed tail continues it with an
exponent fitted so that the most frequent surname keeps its real share (Müller ≈ 0.9 % of people
of German origin). The build is a pure function of this file: the same vocabulary for every seed.

First names are drawn by birth cohort: each list names the most popular names of one birth
decade (or era), most popular first; a name's weight in a birth year is the sum over the lists it
appears in of 1/rank times a Gaussian in the distance to that list's decade, so a person born in
1952 is a Jürgen or a Monika and one born in 1995 a Lukas or a Lea.

Names keep their own letters (ş, ğ, ı, ł, ś, ż, ć, č, đ, ș, ễ …); :func:`fold_map` gives the
replacements a system that cannot store a letter uses (ş→s, ł→l; German umlauts ä→ae).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

#: Birth years the first-name cohort weights cover (the population is born 1935–2006).
YEARS = np.arange(1925, 2011)

# =============================================================================================
# German
# =============================================================================================

# Telephone-book counts (relative) of the most frequent German surnames.
_DE_COUNTED = """
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
Voigt:20 Sauer:20 Arnold:20 Wolff:20 Pfeiffer:19 Lindner:19 Ebert:16 Kramer:16 Hansen:16 Marx:16
Beyer:16 Hübner:16 Frey:15 Hesse:15 Kaufmann:15 Menzel:15 Petersen:15 Schütz:15 Seifert:15
Thiel:15 Wilhelm:15 Ernst:15 Haase:15 Jansen:15 Brinkmann:15 Nagel:14 Ott:14 Paul:14 Sander:14
Wendt:14 Bock:14 Böttcher:14 Jürgens:14 Gärtner:14 Förster:14 Voß:14 Geiger:13 Herzog:13 Kern:13
Michel:13 Fiedler:12 Heinz:12 Mertens:12 Moser:12 Reuter:12 Ritter:12 Schenk:12 Stark:12
Brückner:12 Kühne:12 Bühler:12 Schwab:12 Rieger:11 Ullrich:11 Dietz:11 Heller:11 John:11 Kurz:11
Link:11 Schindler:11 Thiele:11 Lutz:11 Maurer:11 Vetter:10 Weis:10 Witt:10 Wirth:10 Zimmer:10
Grimm:10 Hein:10 Kolb:10 Langer:10 Peter:10 Riedel:10 Walther:10 Stephan:10 Strauß:10 Dörr:10
"""

# More real German surnames, roughly in order of frequency (no counts: a 1/rank law continues).
_DE_RANKED = """
Busse Mohr Nolte Runge Schade Schiller Schilling Schramm Sturm Unger Wiese Wolter Kuhlmann Fröhlich
Kröger Pietsch Oswald Ostermann Rademacher Rausch Springer Thomsen Weidner Schuler Seidl Zander
Preuß Rösler Lüdtke Böhme Bader Beier Berndt Bischoff Blum Bode Brand Brauer Buck Burkhardt Decker
Diehl Döring Eckert Eberhardt Ehlers Eichhorn Engelhardt Erdmann Ewald Fink Franz Fritz Funk
Gebhardt Gerlach Giese Göbel Götz Gottschalk Greiner Haag Hammer Harms Hauser Heck Heinemann Held
Hennig Henning Hess Heuer Hinz Hirsch Hoppe Hummel Jacob Jacobs Jahn Jakob Janssen Jordan Jost
Keil Kessler Kirchner Klaus Klose Knapp Körner Kopp Krebs Kretschmer Kroll Kunz Lenz Leonhardt
Lindemann Lohmann Lux Mack Mai Marquardt Martens Matthes Meißner Merkel Metzger Meister Michels
Naumann Neubauer Neuhaus Nickel Noack Otte Pape Paulus Petzold Pieper Popp Prinz Probst Rau Rauch
Reichert Reimann Reinhardt Rohde Rothe Rudolph Schaller Scharf Scherer Schick Schlegel Schott
Schröter Schütte Seiler Siebert Singer Sperling Stahl Steffen Steiner Stoll Strobel Struck Stumpf
Thieme Timm Trautmann Ulrich Vollmer Voss Wegner Wehner Weigel Weise Wendel Wenzel Westphal Wicke
Wilke Wittmann Witte Wulf Zeller Zink Krieger Albers Adam Baier Bartsch Baum Baumgart Baumgartner
Behrendt Behrens Benz Berg Bernhardt Bertram Bieber Bosch Brandl Brenner Brunner Buchholz Burger
Claus Conrad Dahl Dittrich Drescher Dreyer Eder Engels Fleischer Gabriel Geißler Glaser Gruber
Hagen Hartwig Hecht Henke Herbst Hertel Hiller Höhne Holzer Janke Kasper Kiefer Kirsch Klemm Knoll
Kohl Krug Kunze Lemke Linke Lucas Mann Mayr Miller Moritz Münch Raab Rapp Reich Reinhold Riedl
Rösch Rother Sachs Schumann Seitz Stolz Wagener Wiedemann Wunderlich Zahn Zeidler Lindner Ahrens
Abel Appel Bach Bachmann Barth Bauch Bayer Bechtold Beckmann Beer Behr Bender Bergner Bock Böhmer
Borchert Brandes Bruns Büttner Dahms Danner Dietze Dorn Dressler Eggert Engelmann Esser Feldmann
Fichtner Fischbach Freitag Fricke Friedrichs Fritsch Gehrke Geyer Goldmann Gräf Grote Hanke Harder
Heise Helbig Hellwig Hempel Herold Heyer Hildebrandt Hoffmeister Hofer Holtz Horstmann Husmann
Jacobi Jensen Kamp Kemper Kiel Klotz Knorr Köster Kraft Kremer Kuhnert Kunert Lange Lauer Lehner
Lorenzen Ludwigs Lübke Maas Matthies Mende Menke Meuser Mielke Mittag Möbius Moll Nitsche Nowak
Oppermann Pabst Pfaff Pfeifer Pohlmann Quast Radke Rahn Ramm Ranft Rehm Reiter Renner Richert
Rieck Rogge Roos Ruppert Rupp Saller Schaaf Scheller Schiffer Schlüter Schmieder Schnell Schober
Schoch Scholl Schön Schönfeld Schrader Schüler Schwarze Seeger Senger Sieber Sievers Specht Spieß
Stadler Stock Stoltz Tews Thoma Tillmann Uhlig Urban Vogler Volk Wachter Walz Weiler Wendler
Wiegand Will Wille Winkelmann Wolters Wübbena Zöller Kühl Grün Höfer Rößler Späth Tönnies Jünger
Mähler Nöthen Düring Blümel Hölzer Wöhler Stöhr Märtens Gödde Jöst Fuß Bäcker Schäffer Kühnel
von_Berg von_der_Heide von_Stein zu_Salm von_Bülow van_der_Linden von_Arnim von_der_Leyen
"""

# Word formation: a root (noun, adjective, place element) + an ending.
_DE_ROOTS = """
Acker Adler Ahl Alten Amsel Apfel Arn Asch Auer Bach Bär Baum Berg Bieber Birk Blum Boden Brand
Breit Brenn Brink Bruck Brun Buch Burg Busch Dahl Dorn Dreier Eber Eck Edel Eich Eisen Engel Erl
Falk Feld Fels Finken Frei Fried Fuchs Gold Gras Grün Haber Hag Hahn Hain Hart Hasel Heid Heil Helm
Herz Hirsch Hoch Hof Holl Holz Horn Hub Hütten Jung Kalt Kamp Kessel Kirch Klee Klein Knapp Kob
Kohl Korn Kreuz Kron Kuhl Lamp Land Lang Laub Lehn Lein Lieb Linden Loh Mahl Mark Mauer Meis
Mittel Moos Mühl Neu Nieder Nuss Ober Ort Pfaff Rad Rau Reich Rhein Ried Ring Rosen Roth Rück Sand
Sauer Schaf Scheid Schön Schwarz Seel Sieg Silber Sonn Spiel Stein Stern Stock Storch Strauch Süß
Tann Thal Tief Trost Vogel Wald Wasser Weid Weiß Wein Wend Wester Wied Wies Wild Wind Winter Wolf
Zeh Zimmer Zoll Albers Bech Beer Bött Brock Dann Dieck Ebers Ehr Feder Flei Freuden Gies Grot Hass
Heck Hell Hinter Holt Hund Kling Kolb Krumm Kunst Lück Marten Mehl Nacht Ost Pütt Quer Reh Rott
Salz Schlott Schmal Spring Stroh Teich Vieh Wall Warm Weg West Wiesen Zaun Zell
"""
_DE_ENDINGS = """
mann er ner ler berg burg feld bach hof hoff hausen mayer meier huber hauser brink kamp horst brock
dorf stedt wald bauer schmidt müller rath reuther inger ing ke ert hardt stein lechner egger mair
wieser beck busch loh kötter haus born brunn graf thal bichler schneider kemper hagen heim lehner
"""
_DE_PATRONYM_ROOTS = """
Hinrich Jan Peter Jacob Friedrich Claus Ahl Gerd Harm Reimer Bernd Diedrich Eil Focke Gerken Hein
Herm Ide Lamm Luitjen Meen Onno Reiner Sieb Tamm Tjark Uhl Wilm Detlef Arend Brün Eck Ever Froh
Gödeke Henn Iben Jürg Kars Luken Momme Niels Ocke Pauls Rick Sönk Thies Volkmer Wolter
"""
_DE_PATRONYM_ENDINGS = "s sen ssen ing mann ke"
_DE_EAST_ROOTS = """
Lüd Rad Nit Pann Rath Jahn Gör Mietz Kasch Klitz Krasch Lub Mosch Pasch Rosch Stolp Tesch Wend Zill
Bartel Dubb Gosch Jasch Kolb Lasch Merk Nosk Petz Rasch Schulk Tietz Wolt Ziem Kub Mat Nowak
"""
_DE_EAST_ENDINGS = "ke ka sch ek ik itz ow eit ig ack isch"

# ---- German first names by birth decade: most popular first -------------------------------
_DE_MALE = {
    1930: """Hans Karl Heinz Günter Werner Kurt Walter Herbert Horst Helmut Gerhard Willi Ernst Rudolf
        Erich Hermann Paul Otto Wilhelm Friedrich Heinrich Fritz Alfred Georg Josef Franz Richard Max
        Bruno Gustav Ludwig Erwin Albert Johann Artur Adolf Anton Alois Emil Oskar Harry Rolf Siegfried
        Theodor Konrad Eduard August Hugo Alfons Robert Waldemar Gottfried Egon Arno Edgar Rudi Ewald
        Erhard Gerd Arnold Reinhold Leo Bernhard Wolfgang Joachim Günther Hubert""",
    1940: """Peter Klaus Jürgen Dieter Manfred Wolfgang Horst Günter Bernd Gerhard Uwe Heinz Rolf Rainer
        Werner Helmut Lothar Hartmut Joachim Reinhard Harald Gerd Winfried Volker Herbert Walter
        Siegfried Eberhard Norbert Detlef Wilfried Egon Ulrich Erwin Alfred Rudolf Hermann Kurt Friedhelm
        Günther Ekkehard Gunter Hubert Eckhard Heinrich Fritz Ernst Josef Erich Willi Karl Georg Otto
        Gottfried Burkhard Berthold Jochen Bodo Armin Dietmar Friedrich Wilhelm Paul Franz""",
    1950: """Michael Thomas Peter Andreas Klaus Wolfgang Jürgen Bernd Uwe Frank Rainer Dieter Manfred Hans
        Gerhard Ralf Norbert Werner Martin Joachim Detlef Harald Stefan Reinhard Ulrich Volker Matthias
        Dirk Jörg Lutz Axel Roland Wilfried Gerd Hartmut Rolf Bernhard Herbert Günter Helmut Hubert
        Wolfram Achim Bodo Burkhard Eckhard Gunnar Udo Heiko Ingo Holger Gregor Josef Friedhelm Rüdiger
        Ralph Alexander Jens Christoph Eberhard Siegfried Hermann Walter Georg Franz Heinz Lothar Egon
        Ernst Kurt Ludwig""",
    1960: """Thomas Michael Andreas Frank Stefan Peter Jörg Markus Ralf Martin Dirk Uwe Matthias Jürgen
        Bernd Klaus Holger Jens Carsten Christian Torsten Olaf Oliver Sven Wolfgang Rainer Stephan
        Alexander Detlef Joachim Harald Ulrich Volker Lutz Axel Dieter Heiko Norbert Kai Guido Ingo
        Roland Karsten Achim Gerd Marc Hans Thorsten Ralph Claus André Udo Jan Mario Rolf Bernhard Werner
        Gerhard Christoph Hartmut Reinhard Dietmar Steffen Mathias Georg Rüdiger Harry Hubert Jochen
        Wilfried Detlev Roger Helmut Marco Lars Wolf Sascha Björn Bodo Armin Burkhard Gunnar""",
    1970: """Christian Michael Stefan Andreas Thomas Markus Frank Sven Martin Jan Alexander Oliver Marco
        Matthias Daniel Tobias Sebastian Sascha Carsten Dirk Torsten Björn Jens Kai Timo Dennis Nils
        Patrick Florian Tim Marc Thorsten René André Mirko Ralf Holger Heiko Lars Ingo Marcel Steffen
        Jörg Philipp Mario Dominik Benjamin Robert David Christoph Guido Karsten Peter Volker Maik Tino
        Enrico Ronny Mike Danny Silvio Niels Fabian Sören Jochen Gregor Roman Hendrik Henning Malte Arne
        Ole Olaf Uwe Frederik Moritz Nico Kevin Stephan""",
    1980: """Christian Daniel Sebastian Michael Alexander Dennis Jan Tobias Florian Patrick Stefan Marcel
        Philipp Martin Andreas Markus Benjamin Thomas Tim Marco Kevin Matthias Sven David Kai Simon Felix
        Christoph Dominik Nils Timo Fabian Julian Steffen Mario Manuel Robin Marc Johannes Lars René
        André Björn Pascal Oliver Sascha Lukas Max Dirk Erik Jonas Niklas Benedikt Carsten Thorsten Mirko
        Torben Jens Christopher Hendrik Bastian Marvin Moritz Konstantin Jakob Malte Robert Steven Ronny
        Enrico Danny Maik Nico Mathias Jannik Sandro Tom Lennart Norman Rico Sören Jannis Henrik""",
    1990: """Kevin Jan Daniel Dennis Tobias Lukas Florian Sebastian Philipp Alexander Marcel Michael
        Christian Niklas Patrick Tim Marvin Fabian Jonas Julian David Maximilian Simon Nico Felix Dominik
        Pascal Moritz Christopher Jannik Robin Leon Marco Benjamin Lennart Justin Luca Jonathan Max Tom
        Kai Steffen Nils Johannes Timo Lars Erik Manuel Paul Kim Jakob Ole Jannis Hendrik Mats Finn Mika
        Till Vincent Henrik Jeremy Nick Noah Sven Oliver Yannick Jona Christoph Bastian Malte Konstantin
        Sandro Thomas Sören Nicolas Andreas Matthias Markus René Ben Torben Mirco Rico Steven Toni""",
    2000: """Lukas Leon Luca Jonas Tim Niklas Finn Jan Felix Maximilian Paul Julian Noah Ben Elias Luis
        Jannik Nick Tom Moritz Philipp David Fabian Simon Jakob Max Alexander Daniel Nico Marvin Lennart
        Louis Justin Erik Leo Kevin Florian Jonathan Dominik Lenny Marlon Mika Maurice Henry Anton
        Johannes Emil Vincent Robin Till Lasse Hannes Linus Joel Mats Aaron Oskar Konstantin Liam
        Sebastian Jason Nils Samuel Levin Tobias Colin Jannis Matteo Milan Fynn Luke Theo Marius Raphael
        Valentin Malte Noel Jona Maxim Bennet Piet Carl Mattis Benedikt Silas""",
}
_DE_FEMALE = {
    1930: """Ursula Ilse Gertrud Hildegard Irmgard Gisela Ingeborg Anneliese Erika Edith Charlotte Margarete
        Elisabeth Gerda Helga Ruth Käthe Hilde Anna Herta Maria Marianne Lieselotte Elfriede Frieda
        Martha Hertha Irma Helene Inge Waltraud Christa Johanna Ingrid Dora Gretel Emma Elsa Else Hedwig
        Luise Lotte Magdalena Agnes Erna Emmi Lina Klara Berta Rosa Katharina Mathilde Paula Ida Theresia
        Wilhelmine Auguste Renate Rosemarie Sieglinde Hannelore Annemarie Eleonore Irene Thea Ottilie
        Dorothea Elli Brunhilde""",
    1940: """Renate Karin Helga Brigitte Ingrid Ursula Monika Christa Gisela Erika Elke Marianne Inge
        Gudrun Sigrid Hannelore Rosemarie Waltraud Barbara Christel Ingeborg Heidi Doris Jutta Bärbel
        Anneliese Edeltraud Ilse Gerda Irmgard Gertrud Gabriele Angelika Rita Hildegard Margot Marlies
        Dagmar Regina Roswitha Heidrun Evelyn Heike Ute Dorothea Christine Lieselotte Johanna Elisabeth
        Anita Rosi Erna Eva Helene Hella Uta Gerlinde Siegrid Irene Maria Brunhilde Heidemarie
        Annemarie Editha Liane Traute Hiltrud Almut Ortrud Gundula""",
    1950: """Sabine Petra Monika Gabriele Andrea Ute Karin Susanne Angelika Brigitte Renate Birgit Christine
        Elke Martina Heike Barbara Cornelia Claudia Ulrike Beate Marion Regina Dagmar Doris Anke Jutta
        Bettina Marina Christiane Silvia Iris Kerstin Annette Elisabeth Manuela Christa Ingrid Helga
        Ursula Gisela Maria Margit Rita Sigrid Heidi Astrid Evelyn Gudrun Rosemarie Hannelore Anette
        Irene Birgitta Ingeborg Marianne Roswitha Waltraud Karola Kornelia Edith Heidemarie Ilona Carola
        Gabi Angela Sonja Marlies Margret Erika Dorothea Eva Bärbel Veronika Elfi Hiltrud""",
    1960: """Sabine Claudia Susanne Andrea Petra Birgit Nicole Stefanie Martina Anja Heike Kerstin Katrin
        Silke Tanja Sandra Karin Ute Gabriele Christina Anke Kirsten Angelika Manuela Michaela Simone
        Melanie Bettina Alexandra Ulrike Carmen Britta Antje Daniela Marion Beate Iris Diana Sonja
        Yvonne Christiane Jutta Regina Cornelia Dagmar Susann Katja Ines Jacqueline Anette Annette
        Monika Astrid Marina Kathrin Doreen Ina Sylvia Nadja Corinna Elke Bianca Tina Eva Maren Frauke
        Svenja Wiebke Dörte Gesa Nina Heidi Christine Verena Judith Miriam Gudrun Inga Dunja""",
    1970: """Stefanie Nicole Sandra Anja Melanie Katrin Claudia Tanja Christina Daniela Julia Sabine
        Kathrin Andrea Katharina Susanne Nadine Simone Alexandra Sarah Anna Nina Jennifer Jessica Yvonne
        Silke Verena Kerstin Petra Birgit Diana Sonja Stephanie Janina Christine Bianca Miriam Maria Eva
        Vanessa Anne Natalie Carolin Franziska Ramona Jana Anke Ina Kristina Jasmin Mandy Peggy Manuela
        Judith Annika Heike Cindy Nancy Doreen Katja Sina Britta Maren Inga Svenja Meike Wiebke Tina Ines
        Corinna Antje Marion Sylvia Silvia Ulrike Martina Bettina Steffi Romy Mareike""",
    1980: """Julia Katharina Sarah Jennifer Christina Anna Stefanie Melanie Nicole Laura Lisa Sandra
        Jessica Kathrin Vanessa Sabrina Nadine Sina Daniela Janina Franziska Tanja Maria Carolin Katrin
        Lena Christine Jana Annika Nina Verena Anja Kristina Eva Natalie Alexandra Michelle Svenja Simone
        Jasmin Anne Claudia Miriam Theresa Johanna Lea Linda Marie Hanna Rebecca Isabel Jacqueline Mandy
        Mareike Judith Kim Denise Diana Stephanie Anika Friederike Nora Ramona Wiebke Ina Bianca Marina
        Larissa Dana Cindy Jenny Tina Meike Kerstin Saskia Silke Sophia Madeleine Josephine""",
    1990: """Julia Lisa Laura Sarah Katharina Anna Jennifer Vanessa Lena Michelle Jana Sabrina Jessica
        Christina Leonie Annika Alina Hannah Lea Nina Marie Franziska Johanna Celina Jasmin Kim Sophie
        Carolin Melanie Nadine Janina Natalie Sophia Svenja Vivien Chiara Sandra Luisa Larissa Selina
        Nicole Kristina Lara Maren Denise Jacqueline Caroline Josephine Theresa Maike Anne Isabell Pia
        Mara Jule Paula Clara Emily Nele Finja Antonia Helena Elena Saskia Mia Emma Amelie Charlotte
        Anika Katrin Merle Lina Sina Mareike Tabea Rebecca Joana Fabienne Leoni Linda Melissa Ronja""",
    2000: """Lea Hannah Anna Leonie Lena Sarah Laura Julia Lara Lisa Marie Emily Sophie Johanna Mia Jana
        Lina Alina Celina Emma Amelie Sophia Luisa Michelle Nele Paula Clara Maja Pia Chiara Vanessa
        Annika Leni Charlotte Jasmin Jule Lilly Antonia Emilia Ella Greta Mila Frieda Ida Ronja Finja Zoe
        Nina Josefine Helena Mira Selina Fiona Carla Isabell Merle Luna Anni Elina Neele Alicia Romy
        Melina Hanna Kim Theresa Emilie Lotta Paulina Marlene Jolina Lia Mathilda Stella Milena Nora
        Tabea Larissa""",
}
#: Hyphenated first names, by era (a person is registered under the full form).
DOUBLE_FIRST = {
    ("m", 1950): """Hans-Peter Karl-Heinz Klaus-Dieter Hans-Jürgen Hans-Joachim Hans-Georg Hans-Dieter
        Heinz-Werner Hans-Werner Klaus-Peter Karl-Josef Franz-Josef Hans-Ulrich Jens-Uwe Ernst-August
        Karl-Friedrich Hans-Christian Hans-Wilhelm Karl-Heinrich Hans-Hermann""",
    ("m", 1995): """Jan-Hendrik Jan-Philipp Paul-Luca Luca-Noah Jan-Niklas Tim-Ole Ben-Luca Finn-Luca
        Jan-Luca Max-Leon Jan-Erik Lars-Ole Jan-Malte Nils-Ole Jan-Ole Leon-Maximilian""",
    ("f", 1950): """Marie-Luise Eva-Maria Anna-Maria Rose-Marie Maria-Theresia Karin-Ute Hanne-Lore
        Eva-Marie Anne-Marie Marie-Theres Ilse-Marie Anna-Elisabeth Ruth-Maria Gisela-Maria""",
    ("f", 1995): """Anna-Lena Lisa-Marie Marie-Christin Lea-Sophie Hanna-Lena Sarah-Marie Eva-Lotte
        Julia-Marie Anna-Sophie Lena-Marie Marie-Sophie Lea-Marie Emma-Sophie Mia-Sophie Ann-Kathrin
        Anna-Katharina Lara-Sophie""",
}

# =============================================================================================
# Other origins: surnames (real, most frequent first), word-formation rules, first names by era
# (eras: 1950 = born before 1960, 1972 = 1960–1984, 1992 = 1985 and later)
# =============================================================================================

_TR_SURNAMES = """
Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan Çetin
Kara Koç Kurt Özkan Şimşek Polat Özcan Korkmaz Çakır Erdoğan Yavuz Can Acar Şen Aktaş Güler Yalçın
Güneş Bozkurt Bulut Keskin Ünal Turan Gül Özer Işık Kaplan Avcı Sarı Tekin Taş Köse Yüksel Ateş
Aksoy Yiğit Tunç Ekinci Sönmez Çiftçi Erdem Ay Altun Kalkan Başaran Bayram Yurt Eren Uçar Akın Güven
Karaca Duman Akbulut Uysal Coşkun Tuncer Gündüz Bilgin Kocabaş Özgür Çınar Aydoğan Sezer Toprak
Bayrak Akgül Karakaya Uzun Tosun Atasoy Çiçek Savaş Taşkın Önal Kurnaz Ergün Durmaz Topal Akyüz
Kahraman Karataş Yazıcı Kuş Demirci Orhan Dağ Erol Türk Oral Sevim Toptaş Gürbüz Aydemir Akdoğan
Tatlı Kılınç Akçay Serin Özbek Kurtuluş Bayraktar Öz Gök Başar Karadağ Yücel Şeker
"""
_TR_PREFIXES = """Öz Kara Ak Er Gül Yıl Ay Can Demir Kaya Tan Gün Al Bay Çak Dağ Ok Taş Yurt Kurt Er
Ün Kılıç Köse Gök Baş Aslan Sarı Altın Tek Uz Yal Bil Sev Toprak Şen Ateş Uçar Kor"""
_TR_SUFFIXES = """türk can dağ han kaya oğlu soy er ay el tekin bay ören yurt kan taş doğan ay gül
demir baş men sel göz yiğit kul koç ok su tay"""
_TR_MALE = {
    1950: """Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Ramazan Halil Süleyman
        Abdullah Mahmut Recep Salih Kadir Kemal Sadık Cemal Hayri Necati Şükrü Rıza Nuri Erol Orhan Yaşar
        Metin Şaban Bayram Cengiz Muharrem""",
    1972: """Murat Mehmet Ahmet Ali Hakan Serkan Erkan Volkan Levent Kenan Ercan Gökhan Tolga Tayfun Özgür
        Cem Sinan Uğur Selim Fatih Ömer Kerem Orhan Kadir Tarık Cihan Serdar Burhan Koray Erdal Ümit Okan
        Savaş Bülent Aydın Aykut Nihat""",
    1992: """Emre Can Burak Mert Yusuf Furkan Enes Berkay Eren Emir Kerem Efe Arda Deniz Onur Oğuz Baran
        Yiğit Ömer Kaan Batuhan Berk Çağlar Barış Serhat Umut Mustafa Muhammed Hamza Yasin Ahmet Mehmet
        Ali Alper Görkem Tunahan Egemen Erdem Eray Melih""",
}
_TR_FEMALE = {
    1950: """Fatma Ayşe Emine Hatice Zeynep Meryem Şerife Zehra Sultan Hanife Hacer Havva Elif Gülsüm
        Cemile Saniye Nuriye Kadriye Ümmühan Fadime Fikriye Naciye Sevim Nermin Leyla Gönül Necla Nurten
        Güler""",
    1972: """Özlem Sibel Derya Dilek Ebru Gül Songül Canan Hülya Nurcan Sevgi Serpil Nesrin Yasemin Aynur
        Filiz Gülay Arzu Tülay Sevda Esra Özge Şule Pınar Sevil Hande Funda Tuba Burcu Nazan""",
    1992: """Elif Zeynep Merve Büşra Esra Aylin Selin Melike Şeyma Kübra Tuğba Ecrin Defne Azra Eylül
        Ceren Nazlı İrem Dilara Sude Beyza Cansu Gizem Hilal Rabia Sena Ilayda Yağmur Zehra Meryem Damla
        Ezgi Buse Esma Hira Ceylin Aleyna Duru""",
}

_PL_SURNAMES = """
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak
Dąbrowski Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Kaczmarek Piotrowski
Grabowski Zając Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Nowakowski Majewski Olszewski
Stępień Malinowski Jaworski Adamczyk Dudek Nowicki Pawlak Górski Witkowski Walczak Sikora Baran
Rutkowski Michalak Szewczyk Ostrowski Tomaszewski Pietrzak Marciniak Wróblewski Zalewski Jakubowski
Jasiński Zawadzki Sadowski Bąk Chmielewski Włodarczyk Borkowski Czarnecki Sawicki Sokołowski
Urbański Kubiak Maciejewski Szczepański Kucharski Wilk Kalinowski Lis Mazurek Wysocki Adamski
Kaźmierczak Wasilewski Sobczak Czerwiński Andrzejewski Cieślak Głowacki Zakrzewski Kołodziej
Sikorski Krajewski Gajewski Szymczak Szulc Baranowski Laskowski Brzeziński Makowski Ziółkowski
Przybylski Domański Nowacki Borowski Błaszczyk Chojnacki Ciesielski Mróz Szczepaniak Wesołowski
Górecki Krupa Kaczmarczyk Leszczyński Lipiński Kowalewski Urbaniak Kozak Kania Mikołajczyk
Czajkowski Mucha Tomczak Kozieł Markowski Kowalik Nawrocki Brzozowski Janik Musiał Wawrzyniak
Markiewicz Orłowski Tomczyk Jarosz Kołodziejczyk Kurek Kopeć Żak Wolski Łuczak Dziedzic Kot Stasiak
Stankiewicz Piątek Jóźwiak Urban Dobrowolski Pawlik Kruk Domagała Piasecki Wierzbicki Karpiński
Jastrzębski Polak Zięba Janicki Wójtowicz Stefański Sosnowski Bednarek Majchrzak Bielecki Małecki
Maj Sowa Milewski Gajda Klimek Olejniczak Ratajczak Romanowski Matuszewski Śliwiński Madej Kasprzak
Wilczyński Grzelak Socha Czajka Marek Kowal Bednarczyk Skiba Wrona Owczarek Marcinkowski Matusiak
Orzechowski Sobolewski Kędzierski Kurowski Rogalski Kaczor
"""
_PL_STEMS = """Adam Andrzej Bart Bednar Biel Błasz Bor Brzoz Chmiel Czarn Dąbr Dobr Dud Fil Gaj Głow
Gór Grab Jak Jan Jas Kacz Kal Kam Kasp Klim Kol Kos Kot Kowal Koz Kraw Krzyż Kub Kuch Lew Lip Mac
Maj Mak Mal Mar Maz Mich Mik Mil Mroz Now Olsz Ostr Paw Piotr Pol Rad Rut Sad Sik Sob Sok Stan Szym
Tom Urb Wal Was Wit Woj Wol Wrób Zaj Zal Zar Ziel Żuk Łuk Świt Wierzb Dęb Gąs Pięt Kwiat"""
_PL_ENDINGS = "owski ewski iński ski czyk ak ek ik owicz ewicz ka uk"
_PL_MALE = {
    1950: """Stanisław Józef Jan Tadeusz Zbigniew Jerzy Andrzej Henryk Kazimierz Ryszard Czesław Wiesław
        Zdzisław Bogdan Mieczysław Edward Janusz Władysław Roman Franciszek Marian Eugeniusz Bolesław
        Leszek""",
    1972: """Krzysztof Piotr Andrzej Tomasz Marek Grzegorz Paweł Adam Jacek Dariusz Mariusz Robert Wojciech
        Rafał Sławomir Jarosław Artur Waldemar Mirosław Przemysław Marcin Michał Witold Ireneusz
        Bogusław Zenon Radosław""",
    1992: """Jakub Kamil Mateusz Łukasz Bartosz Michał Szymon Dawid Patryk Adrian Damian Sebastian Maciej
        Daniel Karol Wiktor Filip Kacper Konrad Hubert Dominik Oskar Mikołaj Tymon Igor Jan Antoni
        Aleksander Krystian Norbert""",
}
_PL_FEMALE = {
    1950: """Maria Krystyna Barbara Teresa Danuta Halina Irena Janina Zofia Jadwiga Elżbieta Stanisława
        Helena Genowefa Czesława Wanda Bożena Grażyna Jolanta Urszula Alicja Lucyna Bogumiła Kazimiera""",
    1972: """Agnieszka Katarzyna Małgorzata Anna Ewa Joanna Beata Magdalena Dorota Iwona Renata Monika
        Aneta Justyna Aleksandra Sylwia Edyta Marzena Bożena Grażyna Izabela Mirosława Agata Jolanta
        Wioletta Bogusława Lidia Marta""",
    1992: """Natalia Julia Paulina Karolina Weronika Aleksandra Zuzanna Wiktoria Martyna Patrycja Dominika
        Kinga Klaudia Oliwia Gabriela Emilia Magdalena Kamila Sandra Ewelina Marta Maja Hanna Zofia Łucja
        Nikola Laura Amelia Milena""",
}

# Russian, Ukrainian, Kazakh-German: German transliteration as German authorities wrote it.
_RU_SURNAMES = """
Iwanow Smirnow Kusnezow Popow Wassiljew Petrow Sokolow Michailow Nowikow Fjodorow Morosow Wolkow
Alexejew Lebedew Semjonow Jegorow Pawlow Koslow Stepanow Nikolajew Orlow Andrejew Makarow Nikitin
Sacharow Saizew Solowjow Borissow Jakowlew Grigorjew Romanow Worobjow Sergejew Kusmin Frolow
Alexandrow Dmitrijew Koroljow Gusew Kisseljow Iljin Maximow Poljakow Sorokin Winogradow Kowaljow
Below Medwedew Antonow Tarassow Schukow Baranow Filippow Komarow Dawydow Beljajew Gerassimow
Bogdanow Ossipow Sidorow Matwejew Titow Markow Mironow Krylow Kulikow Karpow Wlassow Melnikow
Denissow Gawrilow Tichonow Kasakow Afanassjew Danilow Saweljew Timofejew Fomin Tschernow Abramow
Martynow Jefimow Fedotow Schtscherbakow Nasarow Kalinin Issajew Tschernyschow Bykow Malzew
Kudrjawzew Schewtschenko Kowalenko Bondarenko Tkatschenko Kowaltschuk Krawtschenko Melnyk Boiko
Lysenko Rudenko Sawtschenko Petrenko Klimenko Pawlenko Kusmenko Ponomarenko Sidorenko Lewtschenko
Kirilenko Danilenko Jakimenko Gontscharenko Demtschenko Nasarenko Romanjuk Schewtschuk Moros Kowal
"""
_RU_STEMS = """Iwan Petr Sokol Wolk Orl Kusnez Meln Gus Baran Lebed Korol Popl Sem Jegor Pawl Kosl
Step Nikol Andr Makar Sachar Borod Gritsch Jakowl Frol Dmitr Kisel Maxim Winograd Medwed Anton
Taras Schuk Filipp Komar Dawyd Bogdan Sidor Matw Tit Mark Miron Kryl Kulik Karp Wlass Denis Gawril
Tichon Kasak Danil Timof Tscherny Abram Martyn Fedot Nasar Kalin Issaj Byk Malz Bond Tkatsch Lys
Rud Klim Ponomar Gontschar Demtsch Rom Sawtsch Kirill Jakim Ossip Saw Schir Gorb Lopat"""
_RU_ENDINGS = "ow ew in enko uk tschuk ski"
_RU_MALE = {
    1950: """Wladimir Nikolai Iwan Alexander Viktor Wassili Juri Pjotr Michail Anatoli Gennadi Valentin
        Boris Leonid Grigori Fjodor Pawel Jakob Johann Heinrich Waldemar Eduard Emil Woldemar Andrej""",
    1972: """Sergej Alexander Andrej Dmitri Alexej Oleg Igor Jewgeni Waleri Wiktor Wladimir Juri Konstantin
        Maxim Roman Witali Wadim Ruslan Stanislaw Eduard Waldemar Artur Arkadi Denis Anton Michail Jakow
        Ilja""",
    1992: """Maxim Artjom Dmitri Daniil Nikita Kirill Ilja Alexander Denis Jegor Iwan Wladislaw Anton Roman
        Artur Timur Andrej Pawel Mark Gleb Matwej Stanislaw Bogdan Sergej Jewgeni Wiktor Eduard""",
}
_RU_FEMALE = {
    1950: """Nina Walentina Galina Tamara Ljudmila Ljubow Raissa Nadeschda Antonina Sinaida Maria Anna
        Jekaterina Vera Lidia Olga Klawdija Alexandra Tatjana Emma Frieda Lilli Erna Irma Hilda""",
    1972: """Tatjana Natalja Olga Irina Swetlana Jelena Larissa Marina Ljudmila Galina Oxana Julia Viktoria
        Nadeschda Anna Alla Inna Tamara Walentina Lilija Jekaterina Elena Elvira Nelli Angelika""",
    1992: """Anastasia Jekaterina Julia Anna Maria Darja Alina Viktoria Xenia Polina Kristina Sofia Jana
        Olga Elena Walerija Alexandra Natalia Diana Karina Veronika Arina Milana Alissa Jelisaweta
        Margarita Irina Uljana""",
}

_AR_SURNAMES = """
Mohammed Ahmad Ali Hassan Ibrahim Khalil Mahmoud Youssef Abdullah Omar Hussein Haddad Saleh Nasser
Hamdan Al-Hassan Al-Ahmad Al-Khatib Khatib Al-Ali Al-Hussein Said Mansour Darwish Kassem Suleiman
Aziz Rahman Abbas Haidar Jaber Hamad Fares Najjar Issa Salem Khoury Aboud Sabbagh Shami Halabi
Masri Othman Bakri Hamid Karim Farah Younes Hijazi Awad Shaheen Rashid Zaher Taha Bitar Sarraf
Hammoud Nassar Ayoub Ismail Yassin Jaafar Khaled Mustafa Hamza Asaad Rifai Barakat Zein Moussa
Hamdi Sultan Bakr Mourad El-Amin Amin El-Sayed Sayed Obeid Tahan Antar Allawi Jabbar Kadhim
Al-Obaidi Jumaa Ghanem Kanaan Zoabi El-Khoury Benali Bouzid El-Idrissi Amrani Benjelloun Tazi
Alaoui Chahid Bouhaddou Ouali Haddou Belkacem Mansouri Ziani Kaddouri
"""
_AR_ROOTS = """Hassan Ahmad Khatib Ali Hussein Obaidi Jaburi Tamimi Masri Shami Zoubi Rifai Halabi
Hakim Amin Sayed Khoury Najjar Hamad Saleh Nasser Qasim Hashimi Jaziri Rashid Kurdi Baghdadi
Dulaimi Shammari Zubaidi Ansari Mahdi Moussawi Haidari Khalidi Omari Sharif Zahrani Harbi"""
_AR_ABD = "Aziz Karim Rahman Kader Hamid Latif Majid Rahim Salam Wahab Malik Qadir Jalil Ghani Hakim Razzaq Fattah Nasser Halim Jabbar Basit Hadi Muttalib Wahid"
_AR_MALE = {
    1972: """Mohammed Ahmad Ali Omar Hassan Hussein Khaled Ibrahim Mahmoud Mustafa Abdullah Karim Samir Tarek
        Walid Jamal Nabil Fadi Ziad Ayman Osama Majed Saleh Saeed Bashar Wael Imad Nizar Ghassan Jihad
        Mazen Abdelkader Hicham Rachid Mounir Driss""",
    1992: """Mohammed Ahmad Ali Omar Youssef Hamza Anas Bilal Amir Adam Yasin Rami Karim Hadi Firas Louay
        Rakan Taim Yazan Obada Mohannad Abdulrahman Youness Ayoub Mehdi Soufiane Zakaria Ibrahim Khaled
        Hussein Mustafa Hassan Mahmoud Moutaz Majd""",
}
_AR_FEMALE = {
    1972: """Fatima Mariam Aisha Amina Samira Souad Khadija Naima Huda Rana Rasha Iman Nadia Layla Hana
        Zainab Dalia Nisreen Manal Wafaa Ghada Loubna Siham Asmaa Heba Rania""",
    1992: """Nour Sara Mariam Fatima Aya Yasmin Salma Malak Lina Jana Hiba Reem Rahaf Shahd Batoul Maya
        Lama Dima Joudi Lujain Ghina Ruqaya Amina Zainab Layla Hana Rania""",
}

_IT_SURNAMES = """
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De_Luca
Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso
Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De_Santis
D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina
Sala De_Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri
Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo Montanari Guerra
Palmieri Bernardi Martino Fiore De_Rosa Ferretti Bellini Basile Riva Donati Piras Vitali Battaglia
Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino D'Amico Orlando Negri Di_Stefano Cirillo
"""
_IT_STEMS = """Ross Bianch Ferr Marin Gall Cont Mor Ricc Mart Fior Sant Bell Cap Pell Grass Vital Lomb
Rin Gentil Sart Bened Franc Giord Mazz Bert Cost Pagan Rug Serr Tosc Calabr Sicil Napol Ven Mil
Salv Ang Gior Luc Tom Andr Pietr Carl Nicol Bart Gugl Mich Rom Pasqu Spin"""
_IT_ENDINGS = "i o etti elli ini ucci one ato ese ale"
_IT_PREFIXES = "De Di Lo La Del D'"
_IT_MALE = {
    1950: "Giuseppe Antonio Giovanni Mario Francesco Salvatore Luigi Vincenzo Pietro Angelo Domenico Carmine Michele Raffaele",
    1972: "Roberto Paolo Marco Andrea Stefano Massimo Fabio Giuseppe Antonio Alessandro Claudio Gianluca Emanuele Enrico",
    1992: "Luca Alessandro Matteo Davide Lorenzo Simone Daniele Gabriele Riccardo Leonardo Tommaso Nicolò Federico Alessio Filippo",
}
_IT_FEMALE = {
    1950: "Maria Anna Giuseppina Rosa Angela Giovanna Teresa Lucia Carmela Caterina Concetta Antonietta",
    1972: "Francesca Antonella Rita Patrizia Paola Laura Alessandra Silvia Roberta Daniela Barbara Simona Monica",
    1992: "Valentina Chiara Giulia Sara Martina Federica Elisa Giorgia Sofia Aurora Alice Ginevra Beatrice Elena Noemi Ilaria",
}

_GR_SURNAMES = """
Papadopoulos Papadakis Georgiou Nikolaidis Papanikolaou Pappas Oikonomou Vlachos Dimitriou
Konstantinidis Ioannidis Karagiannis Makris Papageorgiou Christodoulou Athanasiou Vasileiou
Antoniou Alexiou Michailidis Theodorou Angelopoulos Anastasiou Papathanasiou Triantafyllou
Kostopoulos Panagiotopoulos Georgiadis Katsaros Giannakopoulos Papadimitriou Kyriakidis
Stavropoulos Sotiriou Lazaridis Tsakiris Chatzis Galanis Mavridis Apostolou Samaras Zervas
Kalogeropoulos Raptis Papavasileiou Spanos Petridis Kouris Dimopoulos Nikolaou Giannopoulos Fotiou
Markou Xanthopoulos
"""
_GR_STEMS = """Georg Nikol Dimitr Konstantin Ioann Christ Athanas Vasil Anton Michail Theodor Angel
Kost Stavr Kyriak Giann Petr Spyr Panagiot Manol Stath Lambr Sotir Evangel Chatz Kar Mavr Triant
Xanth Alex Pavl Tsak Zach Fot Lazar Mark Sarant Kalog"""
_GR_ENDINGS = "opoulos idis akis iou as atos elis"
_GR_MALE = {
    1950: "Georgios Dimitrios Konstantinos Ioannis Nikolaos Panagiotis Vasileios Christos Athanasios Evangelos Michail Spyridon",
    1972: "Antonios Theodoros Stavros Emmanouil Kostas Giorgos Nikos Apostolos Angelos Petros Stefanos Andreas",
    1992: "Alexandros Dimitrios Georgios Konstantinos Ioannis Nikolaos Christos Panagiotis Leonidas Charalampos",
}
_GR_FEMALE = {
    1950: "Maria Eleni Aikaterini Vasiliki Sofia Angeliki Georgia Dimitra Konstantina Paraskevi Chrysoula Stavroula",
    1972: "Anna Ioanna Christina Evangelia Eirini Despina Panagiota Athina Theodora Kalliopi Elpida",
    1992: "Maria Eleni Katerina Georgia Sofia Zoi Dimitra Anastasia Ioanna Christina",
}

# Croatian, Serbian, Bosnian, Kosovo-Albanian
_YU_SURNAMES = """
Horvat Kovačević Babić Marić Jurić Novak Kovačić Knežević Vuković Marković Petrović Đorđević Nikolić
Jovanović Ilić Pavlović Stojanović Popović Živković Tomić Hodžić Hadžić Begić Mehmedović Hasanović
Delić Kadić Husić Omerović Salihović Alić Mujić Perić Matić Božić Grgić Pavić Radić Šarić Lukić
Kolar Šimić Blažević Filipović Vidović Tadić Bošnjak Ćosić Jukić Brkić Dedić Mustafić Karić Zukić
Bajrami Krasniqi Gashi Berisha Morina Shala Hoxha Kelmendi Hyseni Rexhepi Ahmeti Ismaili Çela Dushku
"""
_YU_STEMS = """Kovač Petr Jovan Nikol Mark Stojan Pavl Tom Marin Ivan Luk Mil Rad Stank Dragan Bog Vuk
Jur Mat Filip Anton Stef Dim Zor Bran Mir Slav Vlad Đur Živ Šim Božid Ljub Pet Hasan Mehmed Salih
Omer Ibrah Smaj Alij Husein Osman Sulejman Mujag Tadij Grg Krst Vid Brk Dek Čol Šah"""
_YU_ENDINGS = "ić ović ević ac ak in"
_YU_MALE = {
    1950: "Ivan Josip Stjepan Dragan Milan Zoran Marko Petar Ante Mehmed Ramiz Halil",
    1972: "Goran Nenad Dejan Darko Tomislav Mario Damir Edin Senad Kemal Zlatan Besnik Arben Fatmir",
    1992: "Luka Nikola Filip Marko Emir Mirza Haris Amar Adnan Armin Alen Denis Dino Tarik Valon Ilir Driton Ardian",
}
_YU_FEMALE = {
    1950: "Ana Marija Mirjana Snežana Vesna Gordana Ljiljana Fatima Hajra Zora Drita",
    1972: "Jasmina Dragana Jelena Maja Tamara Sanela Elma Aida Suzana Vlora Shqipe",
    1992: "Ivana Milica Katarina Lejla Amra Emina Amina Selma Merima Azra Lana Petra Lucija Mia Sara Ema Teuta Arta Blerta Fjolla",
}

_RO_SURNAMES = """
Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Constantin Mocanu Munteanu
Ștefan Lungu Rusu Toma Moldovan Dobre Barbu Nistor Florea Ene Marin Tudor Dinu Stanciu Dragomir
Oprea Sandu Ursu Cristea Iordache Diaconu Mihai Neagu Voicu Ilie Mureșan Șerban Vasile Coman
Căpraru Tănase Bălan Pavel Dumitrescu Georgescu Niculescu Constantinescu Marinescu Petrescu Vlăduț
Andrei Țurcanu
"""
_RO_STEMS = "Pop Ion Dumitr Georg Nicul Constantin Marin Petr Stoic Radul Vasil Stan Vlad Mih Tudor Oprea Mocan Cioban Munt Lup Bran Pătr Neg Tăn Băl Șerb Ciorb Brăt"
_RO_ENDINGS = "escu eanu aru ache ică"
_RO_MALE = {
    1950: "Ion Gheorghe Vasile Constantin Nicolae Ioan Dumitru",
    1972: "Mihai Adrian Cristian Marius Florin Daniel Sorin Cătălin Gabriel Bogdan",
    1992: "Andrei Alexandru Ștefan Ionuț Răzvan Vlad Darius David Mihai Gabriel",
}
_RO_FEMALE = {
    1950: "Maria Elena Ioana Ana Floarea Georgeta Viorica",
    1972: "Mihaela Cristina Gabriela Daniela Simona Ramona Florentina Carmen Adriana",
    1992: "Andreea Alexandra Ioana Georgiana Larisa Bianca Alina Roxana Denisa Iulia Ștefania Raluca Oana",
}

# Vietnamese: a handful of family names carry most people (explicit shares, per cent)
_VN_SURNAMES = """Nguyễn:38 Trần:11 Lê:9.5 Phạm:7 Hoàng:5 Phan:4.5 Huỳnh:4 Vũ:4 Võ:3.5 Đặng:2 Bùi:2
Đỗ:1.5 Hồ:1.3 Ngô:1.3 Dương:1 Đinh:0.6 Trương:0.6 Lý:0.5 Lâm:0.4 Mai:0.4 Hà:0.4 Tạ:0.3 Lương:0.3
Cao:0.3 Đoàn:0.3 Châu:0.2 Thái:0.2 Quách:0.1 Tôn:0.1 Kiều:0.1"""
_VN_MIDDLE = {"m": "Văn Đức Minh Quang Hữu Thanh Công", "f": "Thị Ngọc Thu Thanh Minh Hồng Kim"}
_VN_MALE = {1980: "Minh Hùng Dũng Tuấn Anh Nam Long Huy Khoa Phúc Thắng Sơn Hải Bình Cường Quân Trung Hiếu Vinh Tâm Tài Thành Khánh Phong Duy Bảo"}
_VN_FEMALE = {1980: "Lan Hương Linh Mai Hoa Trang Thảo Hằng Ngọc Anh Phương Thủy Nga Hà Thu Vy Yến Nhung Uyên Quỳnh Trâm Hạnh Loan Tuyết Như"}

# Other European and overseas names: Spanish, Portuguese, French, English, Dutch, Nordic,
# Hungarian, Czech
_XX_SURNAMES = """
García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Jiménez Ruiz Hernández Díaz
Moreno Álvarez Muñoz Romero Silva Santos Ferreira Pereira Oliveira Rodrigues Martins Sousa
Fernandes Gonçalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira Smith Johnson
Williams Brown Jones Taylor Wilson Davies Evans Bernard Dubois Durand Leroy Moreau Lefèvre Fournier
Girard Bonnet Mercier Rousseau de_Jong de_Vries van_den_Berg van_Dijk Bakker Visser Smit Meijer
de_Boer Mulder de_Groot Bos Vos Dekker Nielsen Jensen Pedersen Andersen Larsen Johansson Karlsson
Nilsson Eriksson Andersson Svensson Kovács Nagy Tóth Szabó Horváth Varga Kiss Molnár Németh Farkas
Balogh Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Pokorný Marek Růžička
"""
_XX_MALE = {
    1960: "José Antonio Manuel Carlos João Pedro Jean Pierre Michel John David James Peter Jan Lars László Péter Pavel Jiří",
    1990: "Pablo Alejandro Diego Miguel Tiago Rafael Lucas Hugo Thomas Nicolas Daniel Ryan Daan Sem Emil Oliver Bence Dávid Tomáš Jakub",
}
_XX_FEMALE = {
    1960: "María Carmen Isabel Ana Teresa Marie Nathalie Sylvie Sarah Susan Karen Anneke Ingrid Kirsten Mária Erzsébet Jana Eva",
    1990: "Lucía Paula Sofía Inês Beatriz Léa Camille Chloé Emily Jessica Sanne Lotte Freja Emma Réka Anna Tereza Lucie",
}

# Spellings that other romanisation systems (or German transliteration) produce
_AR_VARIANTS = {
    "Mohammed": "Mohamed Muhammad Mohammad Mohamad", "Ahmad": "Ahmed", "Mahmoud": "Mahmud",
    "Youssef": "Yousef Yusuf Jussuf", "Hussein": "Hussain Husein", "Khalil": "Chalil",
    "Khaled": "Khalid Chaled", "Omar": "Umar", "Hassan": "Hasan", "Said": "Saeed Sayed",
    "Abdullah": "Abdallah Abdulla", "Kassem": "Qasim Kasem", "Suleiman": "Sulaiman Suleyman",
    "Aisha": "Aischa Ayesha", "Mariam": "Maryam Miriam", "Nour": "Nur Noor", "Layla": "Leila Laila",
    "Yasmin": "Jasmin Yasmine", "Zainab": "Zeinab", "Fatima": "Fatimah Fatema", "Amina": "Aminah",
    "Youness": "Younes Yunus", "Yasin": "Yassin Jasin", "Hamza": "Hamsa", "Abdulrahman": "Abdelrahman",
    "Ibrahim": "Ebrahim", "Mustafa": "Mostafa Mustapha", "Osama": "Usama", "Hicham": "Hisham",
    "Rachid": "Rashid Raschid", "Walid": "Waleed", "Tarek": "Tarik Tariq", "Jamal": "Gamal Dschamal",
}
_GR_VARIANTS = {"Georgios": "Giorgos Jorgos", "Ioannis": "Giannis Jannis", "Nikolaos": "Nikos",
                "Konstantinos": "Kostas", "Dimitrios": "Dimitris", "Vasileios": "Vasilis Wassilios",
                "Aikaterini": "Katerina", "Eirini": "Irini"}

#: Short forms people give in a shop or at a bonus counter.
NICKNAMES = {
    "Alexander": "Alex Sascha", "Andreas": "Andi", "Christian": "Chris", "Christoph": "Chris",
    "Christopher": "Chris", "Daniel": "Dani", "Florian": "Flo", "Friedrich": "Fritz",
    "Johannes": "Hannes", "Joachim": "Achim", "Josef": "Sepp Jupp", "Katharina": "Kathi Katja",
    "Elisabeth": "Lisa Elli", "Margarete": "Grete", "Maximilian": "Max", "Michael": "Micha",
    "Sebastian": "Basti", "Stefanie": "Steffi", "Stephanie": "Steffi", "Susanne": "Susi",
    "Thomas": "Tom", "Tobias": "Tobi", "Wolfgang": "Wolf", "Wilhelm": "Willi", "Franziska": "Franzi",
    "Gabriele": "Gabi", "Barbara": "Babsi", "Johanna": "Hanna", "Magdalena": "Lena",
    "Matthias": "Matze", "Benjamin": "Ben", "Jacqueline": "Jacky", "Jennifer": "Jenny",
    "Christina": "Tina", "Kristina": "Tina", "Cornelia": "Conny", "Veronika": "Vroni",
    "Ulrike": "Ulli", "Ulrich": "Ulli", "Heinrich": "Heinz", "Friederike": "Rike",
    "Dorothea": "Doro", "Theodor": "Theo", "Rüdiger": "Rudi", "Rudolf": "Rudi", "Manuela": "Manu",
    "Emanuel": "Manu", "Dominik": "Dome", "Patrick": "Paddy", "Nikolaus": "Niko", "Nicole": "Nici",
    "Jürgen": "Jü", "Hans-Peter": "Hape", "Karl-Heinz": "Kalle", "Annemarie": "Anne",
    "Jekaterina": "Katja", "Jelena": "Lena", "Natalja": "Natascha", "Tatjana": "Tanja",
    "Swetlana": "Sweta", "Dmitri": "Dima", "Jewgeni": "Schenja", "Wladimir": "Wolodja",
    "Małgorzata": "Gosia", "Katarzyna": "Kasia", "Aleksandra": "Ola", "Mohammed": "Mo",
    "Giuseppe": "Peppe", "Francesco": "Franco", "Konstantinos": "Kostas",
}

# =============================================================================================
# building the vocabulary
# =============================================================================================


@dataclass(frozen=True)
class Origin:
    """One name origin: its share of persons, surnames with probabilities, first names by cohort."""

    code: str
    label: str
    share: float  # share of all persons
    eras: tuple[float, float, float]  # relative weight among those born <1960, 1960–84, 1985+
    surnames: np.ndarray  # object array
    surname_p: np.ndarray  # probabilities (sum 1)
    male: np.ndarray
    male_p: np.ndarray  # (len(YEARS), len(male)) row-normalised
    female: np.ndarray
    female_p: np.ndarray
    feminine: np.ndarray  # female form of each surname (same as surnames where none)


def _words(block: str) -> list[str]:
    """Whitespace-separated words; ``_`` stands for a space inside a name (``De_Luca``)."""
    out, seen = [], set()
    for w in block.split():
        w = w.replace("_", " ")
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def _compose(roots: str, endings: str, keep=lambda s: True) -> list[str]:
    out = []
    for r in _words(roots):
        for e in _words(endings):
            name = _join(r, e)
            if keep(name):
                out.append(name)
    return out


def _join(root: str, ending: str) -> str:
    if root.endswith("'"):
        return root + ending
    if ending[:1].isupper():
        return f"{root} {ending}"
    # avoid a tripled letter and a vowel clash at the seam (Stein+inger -> Steininger is fine)
    if len(root) >= 2 and root[-1] == root[-2] == ending[0]:
        ending = ending[1:]
    elif root[-1] in "aeiouäöü" and ending[0] in "aeiouäöü":
        root = root[:-1] if len(root) > 3 else root
    return root + ending


def _zipf_tail(head: np.ndarray, n_tail: int, top_share: float) -> np.ndarray:
    """Weights for ``head`` followed by ``n_tail`` tail ranks so that rank 1 has ``top_share``.

    The tail continues the head's last weight with an exponent found by bisection, so the
    total mass is ``head[0] / top_share``; if the head alone is heavier, the tail follows 1/rank.
    """
    head = np.asarray(head, dtype=float)
    k = len(head)
    target = head[0] / top_share - head.sum()
    ranks = np.arange(k + 1, k + n_tail + 1, dtype=float)
    if n_tail == 0 or target <= 0:
        return np.concatenate([head, head[-1] * (k / ranks)]) if n_tail else head
    lo, hi = 0.0, 8.0
    for _ in range(60):
        s = (lo + hi) / 2
        tail = head[-1] * (k / ranks) ** s
        if tail.sum() > target:
            lo = s
        else:
            hi = s
    return np.concatenate([head, head[-1] * (k / ranks) ** ((lo + hi) / 2)])


def _surnames(real: list[str], composed: list[str], top_share: float,
              counts: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    seen = set(real)
    tail = [n for n in dict.fromkeys(composed) if n not in seen]
    # a fixed shuffle, so the composed names' frequencies do not follow the alphabet
    order = np.random.default_rng(20240611).permutation(len(tail))
    tail = [tail[i] for i in order]
    # real names without counts: a flatter law than 1/rank, as within one origin's names
    head = np.asarray(counts if counts is not None else np.arange(1, len(real) + 1) ** -0.7, dtype=float)
    if counts is not None and len(real) > len(counts):  # ranked reals continue the counts by 1/rank
        k = len(counts)
        extra = counts[-1] * k / np.arange(k + 1, len(real) + 1)
        head = np.concatenate([head, extra])
    w = _zipf_tail(head, len(tail), top_share)
    names = np.array(real + tail, dtype=object)
    return names, w / w.sum()


def _cohort_matrix(blocks: dict[int, str], sigma: float) -> tuple[np.ndarray, np.ndarray]:
    names: list[str] = []
    index: dict[str, int] = {}
    cols: list[int] = []
    centres: list[int] = []
    weights: list[float] = []
    for decade, block in blocks.items():
        for rank, name in enumerate(_words(block), start=1):
            if name not in index:
                index[name] = len(names)
                names.append(name)
            cols.append(index[name])
            centres.append(decade + 5 if decade % 10 == 0 else decade)
            weights.append(1.0 / (rank + 2))
    j, centre = np.array(cols), np.array(centres)
    k = np.array(weights) * np.exp(-0.5 * ((YEARS[:, None] - centre[None, :]) / sigma) ** 2)
    m = np.zeros((len(YEARS), len(names)))
    np.add.at(m.T, j, k.T)
    m += 1e-9
    return np.array(names, dtype=object), m / m.sum(axis=1, keepdims=True)


def _feminine(names: np.ndarray, rules: list[tuple[str, str]]) -> np.ndarray:
    out = names.copy()
    if not rules:
        return out
    for i, n in enumerate(names):
        for suffix, fem in rules:
            if n.endswith(suffix):
                out[i] = n[: len(n) - len(suffix)] + fem
                break
    return out


def _de_keep(name: str) -> bool:
    return len(name) <= 16


@cache
def origins() -> tuple[Origin, ...]:
    """Every name origin of the population (built once per process, identical for every seed)."""
    de_real = [t.rsplit(":", 1)[0] for t in _DE_COUNTED.split()]
    de_counts = [float(t.rsplit(":", 1)[1]) for t in _DE_COUNTED.split()]
    de_ranked = [n for n in _words(_DE_RANKED) if n not in set(de_real)]
    de_composed = (_compose(_DE_ROOTS, _DE_ENDINGS, _de_keep)
                   + _compose(_DE_PATRONYM_ROOTS, _DE_PATRONYM_ENDINGS)
                   + _compose(_DE_EAST_ROOTS, _DE_EAST_ENDINGS))
    tr_comp = _compose(_TR_PREFIXES, _TR_SUFFIXES)
    pl_comp = _compose(_PL_STEMS, _PL_ENDINGS)
    ru_comp = _compose(_RU_STEMS, _RU_ENDINGS)
    ar_comp = ([f"Al-{r}" for r in _words(_AR_ROOTS)] + [f"El-{r}" for r in _words(_AR_ROOTS)]
               + [f"Abu {r}" for r in _words(_AR_ROOTS)] + [f"Abdel{r.lower()}" for r in _words(_AR_ABD)]
               + [f"Abd {r}" for r in _words(_AR_ABD)] + _words(_AR_ROOTS))
    it_comp = _compose(_IT_STEMS, _IT_ENDINGS)
    it_comp += [_join(p, n) for p in _words(_IT_PREFIXES) for n in it_comp[:: 7]]
    gr_comp = _compose(_GR_STEMS, _GR_ENDINGS) + [f"Papa{s.lower()}{e}" for s in _words(_GR_STEMS)[:20]
                                                   for e in ("opoulos", "idis", "kis")]
    yu_comp = _compose(_YU_STEMS, _YU_ENDINGS)
    ro_comp = _compose(_RO_STEMS, _RO_ENDINGS)
    vn_names = [t.split(":")[0] for t in _VN_SURNAMES.split()]
    vn_w = np.array([float(t.split(":")[1]) for t in _VN_SURNAMES.split()])

    specs = [
        # code, label, share, eras, (names, p), male, female, feminine rules, sigma
        ("de", "German", 0.75, (1.0, 1.0, 1.0), _surnames(de_real + de_ranked, de_composed, 0.009, de_counts),
         _DE_MALE, _DE_FEMALE, [], 7.0),
        ("tr", "Turkish", 0.05, (0.35, 1.2, 1.5), _surnames(_words(_TR_SURNAMES), tr_comp, 0.012),
         _TR_MALE, _TR_FEMALE, [], 12.0),
        ("pl", "Polish", 0.035, (0.6, 1.1, 1.2), _surnames(_words(_PL_SURNAMES), pl_comp, 0.008),
         _PL_MALE, _PL_FEMALE, [("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")], 12.0),
        ("ru", "Russian, Ukrainian, Kazakh-German", 0.04, (0.7, 1.1, 1.1),
         _surnames(_words(_RU_SURNAMES), ru_comp, 0.008),
         _RU_MALE, _RU_FEMALE, [("ow", "owa"), ("ew", "ewa"), ("in", "ina"), ("ski", "skaja"), ("yn", "yna")], 12.0),
        ("ar", "Arabic", 0.03, (0.15, 0.8, 2.0), _surnames(_words(_AR_SURNAMES), ar_comp, 0.03),
         _AR_MALE, _AR_FEMALE, [], 12.0),
        ("it", "Italian", 0.018, (0.9, 1.0, 1.0), _surnames(_words(_IT_SURNAMES), it_comp, 0.006),
         _IT_MALE, _IT_FEMALE, [], 12.0),
        ("gr", "Greek", 0.01, (1.0, 1.0, 0.9), _surnames(_words(_GR_SURNAMES), gr_comp, 0.01),
         _GR_MALE, _GR_FEMALE,
         [("opoulos", "opoulou"), ("idis", "idou"), ("akis", "aki"), ("as", "a"), ("os", "ou"), ("is", "i")], 12.0),
        ("yu", "Croatian, Serbian, Bosnian, Albanian", 0.025, (0.6, 1.1, 1.2),
         _surnames(_words(_YU_SURNAMES), yu_comp, 0.01), _YU_MALE, _YU_FEMALE, [], 12.0),
        ("ro", "Romanian", 0.012, (0.3, 1.0, 1.5), _surnames(_words(_RO_SURNAMES), ro_comp, 0.012),
         _RO_MALE, _RO_FEMALE, [], 12.0),
        ("vn", "Vietnamese", 0.006, (0.3, 1.3, 1.0),
         (np.array(vn_names, dtype=object), vn_w / vn_w.sum()), _VN_MALE, _VN_FEMALE, [], 30.0),
        ("xx", "other European and overseas", 0.024, (0.7, 1.0, 1.2),
         _surnames(_words(_XX_SURNAMES), [], 0.03,
                   list(np.arange(1, len(_words(_XX_SURNAMES)) + 1) ** -0.3)), _XX_MALE, _XX_FEMALE, [], 15.0),
    ]
    out = []
    for code, label, share, eras, (sn, sp), mblocks, fblocks, fem_rules, sigma in specs:
        male, male_p = _cohort_matrix(mblocks, sigma)
        female, female_p = _cohort_matrix(fblocks, sigma)
        out.append(Origin(code, label, share, eras, sn, sp, male, male_p, female, female_p,
                          _feminine(sn, fem_rules)))
    return tuple(out)


@cache
def double_first() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Hyphenated German first names by gender: (names, peak years)."""
    out = {}
    for g in ("m", "f"):
        names, peaks = [], []
        for (gg, year), block in DOUBLE_FIRST.items():
            if gg == g:
                ws = _words(block)
                names += ws
                peaks += [year] * len(ws)
        out[g] = (np.array(names, dtype=object), np.array(peaks))
    return out


# =============================================================================================
# spelling: letters a system cannot store, other romanisations
# =============================================================================================

_GERMAN_FOLD = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_SPECIAL_FOLD = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ø": "o", "Ø": "O", "æ": "ae",
                 "Æ": "Ae", "œ": "oe", "Œ": "Oe", "\u0307": "", "'": "'"}


def _base_letter(ch: str) -> str:
    if ch in _SPECIAL_FOLD:
        return _SPECIAL_FOLD[ch]
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


@cache
def name_chars() -> frozenset[str]:
    """Every non-ASCII character a generated name can contain (in any letter case)."""
    chars = set()
    for o in origins():
        for arr in (o.surnames, o.feminine, o.male, o.female):
            for name in arr:
                chars.update(name)
    chars.update("".join(_VN_MIDDLE.values()))
    for block in DOUBLE_FIRST.values():
        chars.update(block)
    for v in list(NICKNAMES.values()) + list(_AR_VARIANTS.values()) + list(_GR_VARIANTS.values()):
        chars.update(v)
    more = set()
    for c in chars:
        more.update(c.upper())
        more.update(c.lower())
    return frozenset(c for c in chars | more if ord(c) > 127)


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@cache
def fold_map(kind: str) -> tuple[list[str], list[str]]:
    """(letters, replacements) for ``str.replace_many``.

    ``ascii``: everything to ASCII, German umlauts as ae/oe/ue/ss (how people type a name into an
    e-mail address or an old system). ``cp1252``: only the letters Windows-1252 cannot store
    (ş ğ ı ł ś ż ć č đ ș ễ …; ä ö ü é ç š ž stay). ``german``: everything but the German letters
    ä ö ü ß (a German keyboard, a card terminal with German letters only).
    """
    keep = {"ascii": lambda c: False, "cp1252": lambda c: _encodable(c, "cp1252"),
            "german": lambda c: c in "äöüÄÖÜß"}[kind]
    src, dst = [], []
    for c in sorted(name_chars()):
        if keep(c):
            continue
        src.append(c)
        dst.append(_GERMAN_FOLD.get(c) or _base_letter(c))
    return src, dst


_RU_TO_EN = (("schtsch", "shch"), ("Schtsch", "Shch"), ("tsch", "ch"), ("Tsch", "Ch"), ("sch", "sh"),
             ("Sch", "Sh"), ("ch", "kh"), ("Ch", "Kh"), ("w", "v"), ("W", "V"),
             ("ja", "ya"), ("ju", "yu"), ("je", "ye"), ("Ja", "Ya"), ("Ju", "Yu"), ("Je", "Ye"),
             ("j", "y"), ("ss", "s"), ("s", "z"))


def _ru_english(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        for a, b in _RU_TO_EN[:-1]:  # s→z only between vowels
            if name.startswith(a, i):
                out.append(b)
                i += len(a)
                break
        else:
            c = name[i]
            if c == "s" and 0 < i < len(name) - 1 and name[i - 1] in "aeiouy" and name[i + 1] in "aeiouy":
                c = "z"
            out.append(c)
            i += 1
    return "".join(out)


def _ar_german(name: str) -> str:
    s = name
    for a, b in (("kh", "ch"), ("Kh", "Ch"), ("sh", "sch"), ("Sh", "Sch"), ("ou", "u"), ("Ou", "U"),
                 ("J", "Dsch"), ("Y", "J"), ("ee", "i")):
        s = s.replace(a, b)
    return s


def romanisations(name: str, origin: str) -> list[str]:
    """Other spellings of ``name`` that a different romanisation produces (possibly none).

    A name of several words (``Mohammed Ali``, ``Al-Hassan``) varies word by word.
    """
    if " " in name:
        words = name.split(" ")
        out = []
        for i, w in enumerate(words):
            for v in _romanise_word(w, origin)[:2]:
                out.append(" ".join(words[:i] + [v] + words[i + 1:]))
        return [v for v in dict.fromkeys(out) if v != name]
    return _romanise_word(name, origin)


def _romanise_word(name: str, origin: str) -> list[str]:
    out: list[str] = []
    if origin == "ru":
        out.append(_ru_english(name))
    elif origin == "ar":
        out += _words(_AR_VARIANTS.get(name, ""))
        if name.startswith("Al-"):
            out += [f"Al {name[3:]}", f"Al{name[3:].lower()}", f"El-{name[3:]}"]
        out.append(_ar_german(name))
    elif origin == "gr":
        out += _words(_GR_VARIANTS.get(name, ""))
        out.append(name.replace("ou", "u").replace("y", "i"))
    return [v for v in dict.fromkeys(out) if v and v != name]


VN_MIDDLE = {g: np.array(_words(b), dtype=object) for g, b in _VN_MIDDLE.items()}


@cache
def gender_forms() -> tuple[dict[str, str], dict[str, str]]:
    """(masculine → feminine, feminine → masculine) surname forms (Kowalski/Kowalska, Iwanow/Iwanowa)."""
    to_f, to_m = {}, {}
    for o in origins():
        for m, f in zip(o.surnames, o.feminine, strict=True):
            if m != f:
                to_f[m] = f
                to_m[f] = m
    return to_f, to_m


def nickname_options(first: str) -> list[str]:
    """Short forms of a first name (its first word) or an empty list."""
    return _words(NICKNAMES.get(first.split(" ")[0], ""))
