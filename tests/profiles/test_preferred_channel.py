"""preferred_channel: stated preference, observed use, never without marketing consent."""

from __future__ import annotations

import duckdb

from profiles.build import build_profiles


def _pref(con, cid, purpose):
    return con.execute(
        "SELECT channel, contact_point, reason, allowed_channels FROM preferred_channel "
        "WHERE customer_id = ? AND purpose = ?", [cid, purpose]).fetchone()


def test_marketing_channel_always_has_granted_consent(con):
    # per contact point (issue 16): the chosen address itself carries the granted consent
    bad = con.execute(
        "SELECT p.customer_id, p.channel FROM preferred_channel p "
        "LEFT JOIN consent c ON c.customer_id = p.customer_id AND c.purpose = 'marketing' "
        " AND c.channel = p.channel AND c.contact_point = p.contact_point "
        "WHERE p.purpose = 'marketing' AND p.channel IS NOT NULL AND NOT coalesce(c.is_granted, false)"
    ).fetchall()
    assert bad == []
    bad_lists = con.execute(
        "SELECT p.customer_id, ch FROM (SELECT customer_id, unnest(allowed_channels) AS ch "
        " FROM preferred_channel WHERE purpose = 'marketing') p "
        "WHERE NOT EXISTS (SELECT 1 FROM consent c WHERE c.customer_id = p.customer_id "
        " AND c.purpose = 'marketing' AND c.channel = p.ch AND c.is_granted AND c.reachable)").fetchall()
    assert bad_lists == []


def test_stated_preference_loses_when_not_consented(con):
    # Anna prefers sms, but withdrew marketing sms; letter is her only granted marketing channel
    channel, point, reason, allowed = _pref(con, "C000000001", "marketing")
    assert (channel, point, allowed) == ("letter", "Neuweg 5, 80331 München", ["letter"])
    assert reason in ("observed_use", "fallback_order")


def test_stated_preference_wins_for_service(con):
    assert _pref(con, "C000000001", "service")[:3] == ("sms", "+491512345678", "stated_preference")


def test_withdrawn_service_channel_is_not_used(con):
    allowed = _pref(con, "C000000001", "service")[3]
    assert "phone" not in allowed and "email" in allowed


def test_observed_inbound_use_decides_service_channel(con):
    assert _pref(con, "C000000003", "service")[:3] == ("phone", "+4940555123", "observed_use")


def test_no_consent_means_no_marketing_channel_with_a_reason(con):
    assert _pref(con, "C000000003", "marketing")[:3] == (None, None, "no_marketing_consent")


def test_granted_marketing_email_gives_the_email_address(con):
    assert _pref(con, "C000000002", "marketing")[:2] == ("email", "bernd@example.de")


def test_contact_point_without_consented_channel_gives_a_reason(fixture_settings):
    fixture_settings.profiles.consent_channels = ["email", "phone", "sms"]  # letter not offered
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    assert _pref(con, "C000000001", "marketing")[:3] == (None, None, "no_marketing_consent")
    con.close()


def test_channel_purposes_come_from_the_settings(fixture_settings):
    """A purpose configured for channels gets one (profiling here, use-based: its basis is
    legitimate interest, so a contact point only must not be withdrawn); one not configured none."""
    import pytest

    fixture_settings.profiles.channel_purposes = {"service": "use", "profiling": "use"}
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    try:
        purposes = {r[0] for r in con.execute("SELECT DISTINCT purpose FROM preferred_channel").fetchall()}
        service = con.execute("SELECT customer_id, channel FROM preferred_channel WHERE purpose = 'service' "
                              "ORDER BY 1").fetchall()
    finally:
        con.close()
    assert purposes == {"service", "profiling"}
    fixture_settings.profiles.channel_purposes = {"service": "use", "marketing": "response"}
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    try:
        assert con.execute("SELECT customer_id, channel FROM preferred_channel WHERE purpose = 'service' "
                           "ORDER BY 1").fetchall() == service  # the other purposes do not change it
    finally:
        con.close()
    fixture_settings.profiles.channel_purposes = {"newsletter": "response"}
    with pytest.raises(ValueError, match="profiles.channel_purposes.newsletter"):
        build_profiles(fixture_settings)
