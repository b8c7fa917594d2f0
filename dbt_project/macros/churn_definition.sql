{#- Runs at the start of every dbt run (on-run-start): a typo in the churn definition must stop the build,
    not silently pick the other definition. -#}
{% macro assert_churn_definition() -%}
    {%- set definition = var('churn_definition') -%}
    {%- if definition not in ['contractual', 'inactivity'] -%}
        {{ exceptions.raise_compiler_error("churn_definition must be 'contractual' or 'inactivity', got " ~ definition) }}
    {%- endif -%}
    select 1
{%- endmacro %}
