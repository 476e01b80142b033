"""The landing sensor: a run for new or changed files, none for files already seen."""

import os

import dagster as dg

from cdp.config import Settings
from dagster_project.partitions import RANGE_END_TAG, RANGE_START_TAG
from dagster_project.resources import CdpSettingsResource
from dagster_project.sensors import landing_sensor, new_landing_files


def _deliver(landing, rel, text="x"):
    p = landing / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_new_files_then_nothing_then_a_changed_file(tmp_path):
    landing = tmp_path / "landing"
    _deliver(landing, "erp/2024-03-01/kunden_20240301.csv")
    _deliver(landing, "crm/2024-03-01/.partial-upload")  # hidden: still being written
    new, cursor = new_landing_files(landing, None)
    assert new == ["erp/2024-03-01/kunden_20240301.csv"]
    assert new_landing_files(landing, cursor)[0] == []
    p = _deliver(landing, "erp/2024-03-01/kunden_20240301.csv", "changed")
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    _deliver(landing, "shop/2024-03-02/orders_20240302.jsonl")
    new, _ = new_landing_files(landing, cursor)
    assert sorted(new) == ["erp/2024-03-01/kunden_20240301.csv", "shop/2024-03-02/orders_20240302.jsonl"]


def test_sensor_requests_one_run_over_the_new_load_dates(tmp_path):
    settings = Settings().with_data_dir(tmp_path)
    resource = CdpSettingsResource.from_settings(settings)
    ctx = dg.build_sensor_context(resources={"cdp": resource})
    assert landing_sensor(ctx).run_requests == []  # nothing landed yet

    _deliver(settings.paths.landing, "erp/2024-03-01/kunden_20240301.csv")
    _deliver(settings.paths.landing, "bonus/2024-03-03/members_20240303.csv")
    result = landing_sensor(ctx)
    assert len(result.run_requests) == 1
    tags = result.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == ("2024-03-01", "2024-03-03")
    # the new load dates become partitions (the ones that exist, not a calendar)
    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == "load_date" and list(add.partition_keys) == ["2024-03-01", "2024-03-03"]

    again = landing_sensor(dg.build_sensor_context(cursor=result.cursor, resources={"cdp": resource}))
    assert again.run_requests == []


def test_a_late_delivery_for_an_earlier_date_is_inside_the_run_range():
    from dagster_project.partitions import range_tags

    # dynamic partitions keep the order they were added in: 03-05 came before the late 03-02
    order = ["2024-03-01", "2024-03-05", "2024-03-02"]
    tags = range_tags(["2024-03-02", "2024-03-05"], order)
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == ("2024-03-05", "2024-03-02")


def test_the_daily_schedule_runs_yesterdays_delivery_and_skips_a_day_without_one(tmp_path):
    from dagster_project.sensors import daily_request

    landing = tmp_path / "landing"
    _deliver(landing, "erp/2024-03-01/kunden_20240301.csv")
    instance = dg.DagsterInstance.ephemeral()
    request = daily_request(landing, "2024-03-01", instance)
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2024-03-01"
    assert instance.get_dynamic_partitions("load_date") == ["2024-03-01"]
    assert isinstance(daily_request(landing, "2024-03-02", instance), dg.SkipReason)
