-- is_initials(a): only single letters ("h", "h p"), not a whole name.
-- first_names_compatible(a, b): two standardised first names may belong to one person:
-- equal, similar (Jaro-Winkler >= jw), a shared name part ("hans peter" / "peter"), first parts one
-- typo or transposition apart ("mka" / "mia", "kral" / "karl heinz"), a short form (the same first
-- three letters, "steffi" / "stephanie", or one of at least three letters inside the other,
-- "tina" / "christina", "basti" / "sebastian": the name comparison's level for short forms), or one
-- is initials that fit the other ("j h" / "jan", "h p" / "hans peter").
CREATE OR REPLACE TEMP MACRO initials(a) AS
    array_to_string(list_transform(string_split(a, ' '), lambda x: left(x, 1)), '');
CREATE OR REPLACE TEMP MACRO is_initials(a) AS regexp_matches(a, '^[a-z]( [a-z])*$');
CREATE OR REPLACE TEMP MACRO short_form(a, b) AS
    (length(a) >= 3 AND length(b) >= 3 AND left(a, 3) = left(b, 3))
    OR (length(a) >= 3 AND strpos(b, a) > 0) OR (length(b) >= 3 AND strpos(a, b) > 0);
CREATE OR REPLACE TEMP MACRO first_names_compatible(a, b, jw) AS
    a = b
    OR jaro_winkler_similarity(a, b) >= jw
    OR list_has_any(string_split(a, ' '), string_split(b, ' '))
    OR damerau_levenshtein(string_split(a, ' ')[1], string_split(b, ' ')[1]) <= 1
    OR short_form(a, b)
    OR ((is_initials(a) OR is_initials(b))
        AND (starts_with(initials(a), initials(b)) OR starts_with(initials(b), initials(a))));
