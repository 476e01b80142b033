-- agent_profile_export: the agent_profile rows that may leave the CDP in a bulk export (cdp export
-- agent-views, the file a call-centre tool imports): everyone but customers under a restriction of
-- processing (Art. 18 GDPR). Part of the agent role's definition, next to agent_profile: the
-- columns are agent_profile's, only the rows differ, and the export reads this view and filters
-- nothing itself.
-- Why the console's agent role still shows a restricted customer (agent_profile): it shows the
-- restriction with them (restricted_since, the notice "answer this customer's own request
-- only"), one customer at a time, when the customer calls. A bulk copy into another system
-- would be processing beyond storage, and the flat file has no place for that notice.
CREATE OR REPLACE VIEW agent_profile_export AS
SELECT *
FROM agent_profile
WHERE restricted_since IS NULL;

COMMENT ON VIEW agent_profile_export IS 'The agent_profile rows a bulk export may carry (cdp export agent-views reads this view only): every customer but those under a restriction of processing (Art. 18 GDPR, processing_restriction). Same columns as agent_profile.';
