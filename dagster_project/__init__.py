"""dagster_project stage."""
