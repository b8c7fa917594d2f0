{#- Raw columns are text as delivered; staging types them. A value that does not parse becomes null and is
    counted as faulty by the quality gate, so nothing is silently coerced. DuckDB has try_cast; PostgreSQL gets
    the same null-on-failure casts as functions created by the create_portable_functions hook (portable.sql). -#}
{% macro as_date(column) -%}
    {{ return(adapter.dispatch('as_date', 'retention_radar')(column)) }}
{%- endmacro %}

{#- ISO 8601 only, and a timestamp with a zone offset is dated in UTC: the rules of
    pipelines/lib/ingest/casts.py::as_date_sql, whose patterns arrive through source_contract(). -#}
{% macro default__as_date(column) -%}
    {%- set rules = source_contract() -%}
    case when regexp_full_match({{ column }}, '{{ rules.iso_pattern }}') then
        case when regexp_matches({{ column }}, '{{ rules.offset_pattern }}')
            then cast(timezone('UTC', try_cast({{ column }} as timestamptz)) as date)
            else try_cast(try_cast({{ column }} as timestamp) as date)
        end
    end
{%- endmacro %}

{% macro postgres__as_date(column) -%}
    cast({{ target.schema }}.radar_try_timestamp(cast({{ column }} as text)) as date)
{%- endmacro %}

{% macro as_timestamp(column) -%}
    {{ return(adapter.dispatch('as_timestamp', 'retention_radar')(column)) }}
{%- endmacro %}

{% macro default__as_timestamp(column) -%}
    {%- set rules = source_contract() -%}
    case when regexp_full_match({{ column }}, '{{ rules.iso_pattern }}') then
        case when regexp_matches({{ column }}, '{{ rules.offset_pattern }}')
            then timezone('UTC', try_cast({{ column }} as timestamptz))
            else try_cast({{ column }} as timestamp)
        end
    end
{%- endmacro %}

{% macro postgres__as_timestamp(column) -%}
    {{ target.schema }}.radar_try_timestamp(cast({{ column }} as text))
{%- endmacro %}

{% macro as_number(column) -%}
    {{ return(adapter.dispatch('as_number', 'retention_radar')(column)) }}
{%- endmacro %}

{% macro default__as_number(column) -%}
    try_cast({{ column }} as double)
{%- endmacro %}

{% macro postgres__as_number(column) -%}
    {{ target.schema }}.radar_try_double(cast({{ column }} as text))
{%- endmacro %}

{#- Staging reads the newest load of a raw table: exports are full snapshots of the source system. -#}
{% macro latest_load(source_name, table_name) -%}
    select * from {{ source(source_name, table_name) }}
    where _load_id = (select max(_load_id) from {{ source(source_name, table_name) }})
{%- endmacro %}
