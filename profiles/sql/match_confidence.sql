-- match_confidence: the words for how sure the matching model is, one row per band of match
-- probability (min_probability inclusive, below exclusive; NULL: no upper bound). The one
-- definition of these words: person_record's link_confidence joins it, and the agent console's
-- "Is the caller one of these?" reads it for the probabilities `cdp identify` returns.
CREATE OR REPLACE TABLE match_confidence AS
SELECT CAST(min_probability AS DOUBLE) AS min_probability, CAST(below AS DOUBLE) AS below,
       CAST(words AS VARCHAR) AS words
FROM (VALUES (0.999, NULL, 'certain'),
             (0.99, 0.999, 'very likely'),
             (0.95, 0.99, 'likely'),
             (0.0, 0.95, 'possible, check with the caller')) AS t(min_probability, below, words)
ORDER BY min_probability DESC;

COMMENT ON TABLE match_confidence IS 'How sure the matching model is, in words an agent can act on: one row per band of match probability (person_record.link_confidence and the console''s caller check read it).';
COMMENT ON COLUMN match_confidence.min_probability IS 'Lowest match probability of the band (inclusive).';
COMMENT ON COLUMN match_confidence.below IS 'Match probabilities of the band are below this (exclusive); NULL for the top band.';
COMMENT ON COLUMN match_confidence.words IS 'The band in words: certain, very likely, likely, possible, check with the caller.';
