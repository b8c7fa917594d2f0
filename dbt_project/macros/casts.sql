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

{#- Spark SQL: rlike with anchors is the full match; the session time zone is UTC (the spark profile), so a timestamp
    with an offset is read as its UTC time. -#}
{% macro spark__as_date(column) -%}
    cast({{ spark__as_timestamp(column) }} as date)
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

{% macro spark__as_timestamp(column) -%}
    case when {{ column }} rlike '^{{ source_contract().iso_pattern }}$'
        then try_cast({{ column }} as timestamp)
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

{% macro spark__as_number(column) -%}
    try_cast({{ column }} as double)
{%- endmacro %}

{% macro postgres__as_number(column) -%}
    {{ target.schema }}.radar_try_double(cast({{ column }} as text))
{%- endmacro %}

{#- Staging reads the newest delivery of a raw table, because exports are full snapshots of the source system. A
    delivery appends only its new or changed rows and a tombstone (_retired) for each row it no longer holds, so the
    newest delivery is the live rows: appended, and not retired by a later load. Rows from before versioning have no
    _row_hash and are read as whole loads, the newest one only. pipelines/lib/ingest/raw_versions.py writes them and
    reads them the same way (current_rows_sql). -#}
{% macro latest_load(source_name, table_name) -%}
    {%- set raw = source(source_name, table_name) -%}
    select * from {{ raw }} as r
    where not coalesce(r._retired, false)
        and (r._row_hash is not null or r._load_id = (select max(_load_id) from {{ raw }}))
        and not exists (
            select 1 from {{ raw }} as x
            where x._retired and x._row_hash = r._row_hash and x._row_copy = r._row_copy
                and x._load_id > r._load_id
        )
{%- endmacro %}
