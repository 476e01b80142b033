"""A data steward's override lands in the append-only audit log with who, what and why."""

import json

from cdp.config import load_settings
from identity.io import add_override, list_overrides


def test_override_is_audited(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path)
    add_override(settings, "erp:10000001", "crm:CRM-0000002", "cannot-link", "twins, ticket 4711", "steward.anna")
    add_override(settings, "erp:10000003", "shop:S-000004", "must_link", "confirmed by phone", "steward.ben")
    log = [json.loads(line) for line in settings.paths.privacy.joinpath("audit_log.jsonl").read_text().splitlines()]
    assert [(e["action"], e["actor"], e["subject"], e["reason"], e["details"]["decision"]) for e in log] == [
        ("override", "steward.anna", "erp:10000001 crm:CRM-0000002", "twins, ticket 4711", "cannot_link"),
        ("override", "steward.ben", "erp:10000003 shop:S-000004", "confirmed by phone", "must_link"),
    ]
    assert len(list_overrides(settings)) == 2
