"""Contact rules for audiences: a contact-pressure cap and a non-responder rule per channel.

Both apply to the purposes in ``exports.contact_rules_purposes`` (marketing by default) and read
``campaign_response`` (every outbound campaign message from any source, with its reaction):

* ``contact_pressure``: a customer who already got ``exports.contact_cap_messages`` or more
  marketing messages in the ``exports.contact_cap_days`` before ``profile_build.as_of`` is left
  out of the audience (across channels and sources: one cap per person);
* ``non_responder``: a customer who reacted (opened, clicked) to none of their last
  ``exports.non_responder_last_k`` messages on a channel is off that channel's lists; another
  consented channel may still be used.

They fill the temp tables the audience query reads: ``audience_suppression`` (customer level) and
``audience_channel_block`` (customer x channel).
"""

from __future__ import annotations

import duckdb

from cdp.config import Settings
from cdp.db import has_table
from exports.db import sql_text

RULES = {
    "contact_pressure": "reached the contact-pressure cap: {n} or more marketing messages in the last {d} days",
    "non_responder": "no reaction to the last {k} marketing messages on the channel(s) the audience may use",
}


def apply_contact_rules(con: duckdb.DuckDBPyConnection, settings: Settings, purpose: str) -> dict[str, str]:
    """Add this export's contact-rule exclusions; returns reason -> description for the report.

    Expects the temp table ``audience_suppression(customer_id, reason)`` and creates
    ``audience_channel_block(customer_id, channel, reason)``.
    """
    x = settings.exports
    con.execute("CREATE OR REPLACE TEMP TABLE audience_channel_block "
                "(customer_id VARCHAR, channel VARCHAR, reason VARCHAR)")
    if purpose not in x.contact_rules_purposes or not has_table(con, "campaign_response"):
        return {}
    out = {}
    if x.contact_cap_messages > 0:
        con.execute(sql_text("contact_pressure"), {"cap": x.contact_cap_messages, "days": x.contact_cap_days})
        out["contact_pressure"] = RULES["contact_pressure"].format(n=x.contact_cap_messages, d=x.contact_cap_days)
    if x.non_responder_last_k > 0:
        con.execute(sql_text("non_responder"), {"k": x.non_responder_last_k})
        out["non_responder"] = RULES["non_responder"].format(k=x.non_responder_last_k)
    return out
