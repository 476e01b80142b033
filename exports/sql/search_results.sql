-- search_results: what the result list shows for each found customer id ($ids), as the console
-- role may see it: {profile} is the role's profile view (agent_profile; steward_profile for
-- stewards, see exports/console/roles.py). Only the columns the list lays out are read, and only
-- those the view has: the agent view has no birth date and masks card numbers, so neither can
-- reach an agent's result list.
SELECT COLUMNS(lambda c: c IN ('customer_id', 'salutation', 'title', 'first_name', 'last_name',
                               'birth_date', 'email', 'phone', 'mobile', 'postcode', 'city', 'sources',
                               'record_count', 'lifecycle_stage'))
FROM {profile}
WHERE customer_id = ANY($ids)
