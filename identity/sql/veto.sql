-- Hard-negative vetoes on scored pairs: evidence that two records are different people even
-- when they share a household's address, e-mail and phone (twins, parent and child).
-- Inputs: edges(record_key_l, record_key_r, ...), std (person_records_std).
-- Parameters: $first_name_jw (below: first names disagree), $birth_year_gap (years apart: not one person).
SELECT
    e.record_key_l,
    e.record_key_r,
    CASE
        WHEN l.first_name_std IS NOT NULL AND r.first_name_std IS NOT NULL
             AND l.first_name_std <> r.first_name_std
             AND NOT (l.first_name_std = r.last_name_core AND l.last_name_core = r.first_name_std)
             AND NOT list_has_any(string_split(l.first_name_std, ' '), string_split(r.first_name_std, ' '))
             AND NOT ((regexp_matches(l.first_name_std, '^([a-z] ?)+$') OR regexp_matches(r.first_name_std, '^([a-z] ?)+$'))
                      AND l.first_name_initials = r.first_name_initials)
             AND jaro_winkler_similarity(l.first_name_std, r.first_name_std) < $first_name_jw
            THEN 'first_names_disagree'
        WHEN l.name_suffix IS NOT NULL AND r.name_suffix IS NOT NULL AND l.name_suffix <> r.name_suffix
            THEN 'senior_junior'
        WHEN $birth_year_gap > 0 AND l.birth_date IS NOT NULL AND r.birth_date IS NOT NULL
             AND abs(date_diff('day', l.birth_date, r.birth_date)) > 365.25 * $birth_year_gap
             AND damerau_levenshtein(strftime(l.birth_date, '%Y%m%d'), strftime(r.birth_date, '%Y%m%d')) > 1
            THEN 'birth_dates_disagree'
    END AS veto
FROM edges e
JOIN std l ON l.record_key = e.record_key_l
JOIN std r ON r.record_key = e.record_key_r
