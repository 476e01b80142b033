from pathlib import Path

import pytest

from cdp.config import load_settings


def test_defaults_run_on_a_laptop(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(env={})
    assert s.data_dir == Path("data")
    assert s.paths.duckdb == Path("data/cdp.duckdb")
    assert s.paths.staged == Path("data/lake/staged")


def test_file_then_env_then_arguments_win(tmp_path):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text('data_dir = "/srv/cdp"\n[identity]\nmatch_threshold = 0.8\nmax_records_per_key = 7\n')
    env = {"CDP_IDENTITY__MATCH_THRESHOLD": "0.95", "CDP_EXPORTS__CONSOLE_PORT": "9000"}
    s = load_settings(cfg, env=env)
    assert s.data_dir == Path("/srv/cdp")
    assert s.identity.match_threshold == 0.95  # env beats file
    assert s.identity.max_records_per_key == 7  # file beats default
    assert s.exports.console_port == 9000
    assert load_settings(cfg, env=env, data_dir="/x").data_dir == Path("/x")


def test_env_lists_and_config_path(tmp_path):
    cfg = tmp_path / "other.toml"
    cfg.write_text("[profiles]\nlapsed_after_days = 400\n")
    s = load_settings(env={"CDP_CONFIG": str(cfg), "CDP_IDENTITY__KEY_BLOCKLIST": "a@b.de,c@d.de"})
    assert s.profiles.lapsed_after_days == 400
    assert s.identity.key_blocklist == ["a@b.de", "c@d.de"]


def test_unknown_setting_is_named(tmp_path):
    cfg = tmp_path / "cdp.toml"
    cfg.write_text("[identity]\nmatch_treshold = 0.8\n")
    with pytest.raises(ValueError, match="match_treshold"):
        load_settings(cfg, env={})


def test_bad_env_value_names_the_variable():
    with pytest.raises(ValueError, match="CDP_IDENTITY__MATCH_THRESHOLD"):
        load_settings(env={"CDP_IDENTITY__MATCH_THRESHOLD": "high"})


def test_boolean_switches_read_yes_and_no_and_reject_typos():
    s = load_settings(env={"CDP_IDENTITY__RETRAIN_STALE_MODEL": "off",
                           "CDP_IDENTITY__VETO_DIFFERING_EMAILS": "Yes"})
    assert s.identity.retrain_stale_model is False
    assert s.identity.veto_differing_emails is True
    # a misspelt "true" used to turn the setting off without a word
    with pytest.raises(ValueError, match="CDP_IDENTITY__RETRAIN_STALE_MODEL"):
        load_settings(env={"CDP_IDENTITY__RETRAIN_STALE_MODEL": "ture"})
