{#- Raw columns are text as delivered; staging types them. A value that does not parse becomes null and is
    counted as faulty by the quality gate, so nothing is silently coerced. -#}
{% macro as_date(column) -%}
    try_cast(try_cast({{ column }} as timestamp) as date)
{%- endmacro %}

{% macro as_timestamp(column) -%}
    try_cast({{ column }} as timestamp)
{%- endmacro %}

{% macro as_number(column) -%}
    try_cast({{ column }} as double)
{%- endmacro %}

{#- Staging reads the newest load of a raw table: exports are full snapshots of the source system. -#}
{% macro latest_load(source_name, table_name) -%}
    select * from {{ source(source_name, table_name) }}
    where _load_id = (select max(_load_id) from {{ source(source_name, table_name) }})
{%- endmacro %}
