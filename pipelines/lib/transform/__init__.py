"""Dagster-free logic of the transform stage (the dbt project)."""
