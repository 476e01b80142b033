-- Hard-negative vetoes on scored pairs: evidence that two records are different people even
-- when they share a household's e-mail or phone (twins, parent and child). First names that
-- disagree and birth dates years apart veto a pair only when both records carry an e-mail or
-- a phone (shared_contact): agreeing, it may be the household's; differing, two persons' own.
-- Without contacts on both sides they
-- are the name and birth-date comparisons' lower levels, weighed by the model (on FEBRL3/4,
-- which have no contacts, such vetoes held apart true pairs only: a value replaced wholesale).
-- A shared trusted key (ERP customer number, bonus card) is stronger than any veto; swapped
-- first/last names are compared crosswise. Macros: veto_macros.sql.
-- Inputs: edges(record_key_l, record_key_r, shared_contact), std (person_records_std).
-- Parameters: $first_name_jw (below: first names disagree), $birth_year_gap (years apart: not one person).
WITH pairs AS (
    SELECT
        e.record_key_l,
        e.record_key_r,
        l.first_name_std AS fl, r.first_name_std AS fr,
        coalesce(l.last_name_core, '') AS ll, coalesce(r.last_name_core, '') AS lr,
        l.name_suffix AS sl, r.name_suffix AS sr,
        l.birth_date AS dl, r.birth_date AS dr,
        (l.erp_key = r.erp_key OR l.bonus_key = r.bonus_key) AS trusted_key,
        e.shared_contact
    FROM edges e
    JOIN std l ON l.record_key = e.record_key_l
    JOIN std r ON r.record_key = e.record_key_r
)
SELECT
    record_key_l,
    record_key_r,
    CASE
        WHEN coalesce(trusted_key, false) THEN NULL
        WHEN shared_contact AND fl IS NOT NULL AND fr IS NOT NULL
             AND NOT first_names_compatible(fl, fr, $first_name_jw)
             AND NOT (first_names_compatible(fl, lr, $first_name_jw) AND jaro_winkler_similarity(ll, fr) >= 0.85)
             AND NOT (first_names_compatible(fr, ll, $first_name_jw) AND jaro_winkler_similarity(lr, fl) >= 0.85)
            THEN 'first_names_disagree'
        WHEN sl IS NOT NULL AND sr IS NOT NULL AND sl <> sr
            THEN 'senior_junior'
        WHEN shared_contact AND $birth_year_gap > 0 AND dl IS NOT NULL AND dr IS NOT NULL
             AND abs(date_diff('day', dl, dr)) > 365.25 * $birth_year_gap
             AND damerau_levenshtein(strftime(dl, '%Y%m%d'), strftime(dr, '%Y%m%d')) > 1
            THEN 'birth_dates_disagree'
    END AS veto
FROM pairs
