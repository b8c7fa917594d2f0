{#- The score tables are written by the Python scoring assets after dbt has run. customer_360 is a view over them,
    so it binds to them at creation: this hook (on-run-start) creates them empty when no scoring has run yet.
    The columns must match pipelines/lib/score/score_store.py and hierarchy.py, which a test checks; `double precision` is DuckDB's double
    spelled so that PostgreSQL (the second-adapter lane) reads it too; run_statements (portable.sql) spells the types
    for Spark SQL. -#}
{% macro create_score_tables() -%}
    {%- set statements -%}
    create schema if not exists scores;
    create table if not exists scores.customer_scores (
        customer_id varchar, as_of date, churn_probability double precision, risk_tier varchar, reasons varchar,
        action varchar, owner varchar, sla_hours integer, model_name varchar, model_version varchar,
        score_source varchar, health_colour varchar, health_points integer,
        predicted_revenue_12m double precision, clv double precision, value_tier varchar, service_level varchar,
        response_hours integer, revenue_at_risk double precision, priority integer,
        previous_as_of date, previous_churn_probability double precision, probability_change double precision,
        previous_risk_tier varchar, moved_by varchar, scored_at timestamp
    );
    create table if not exists scores.health_scores (
        customer_id varchar, as_of date, health_points integer, health_colour varchar, signals varchar,
        scored_at timestamp
    );
    create table if not exists scores.parent_scores (
        parent_id varchar, as_of date, children integer, children_scored integer,
        mean_churn_probability double precision, revenue_weighted_churn_probability double precision,
        children_revenue_12m double precision, children_low integer, children_medium integer,
        children_high integer, driver_id varchar, driver_churn_probability double precision,
        driver_share double precision, score_source varchar, scored_at timestamp
    )
    {%- endset -%}
    {{ run_statements(statements) }}
{%- endmacro %}
