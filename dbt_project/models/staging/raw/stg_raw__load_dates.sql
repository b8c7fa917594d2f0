-- One row per load and source table of the raw zone: the earliest date among the rows that load appended, and
-- among the rows it retired (a tombstone carries no data; the version it retires has the same key, so the same
-- dates). The incremental snapshot models read it to know how far back the loads since their last build can
-- reach (snapshot_increments.sql). Loads never change once written, so each is summarised once: a run reads only
-- the raw rows of loads newer than the newest summarised, and dates only those rows and the versions they retire.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

{% set tables = source_contract().tables %}

{% for table, rules in tables.items() %}
    {%- set raw = source('raw', table) %}
    {{ "with" if loop.first else "," }} {{ table }}_loaded as (
        select r.* from {{ raw }} as r
        {%- if is_incremental() %}
            where r._load_id > (select coalesce(max(d.load_id), 0) from {{ this }} as d)
        {%- endif %}
    ),

    {{ table }}_retired as (
        -- an equality join alone, so that it hashes: the tombstones of these loads and what they retire
        select
            t._load_id,
            min({{ earliest_date_of('o', rules.delivered_dates) }}) as earliest_retired
        from {{ table }}_loaded as t
        inner join {{ raw }} as o on t._row_hash = o._row_hash
        where t._retired and not coalesce(o._retired, false)
        group by t._load_id
    ),

    {{ table }}_loads as (
        select
            n._load_id,
            count(*) filter (where not coalesce(n._retired, false)) as rows_appended,
            count(*) filter (where n._retired) as rows_retired,
            min({{ earliest_date_of('n', rules.delivered_dates) }}) filter (where not coalesce(n._retired, false))
                as earliest_appended,
            -- a load written before row versions existed replaces the whole table: it can reach any snapshot
            bool_or(n._row_hash is null) as replaces_whole_table
        from {{ table }}_loaded as n
        group by n._load_id
    )
{% endfor %}

{% for table in tables %}
    select
        '{{ table }}' as source_table,
        l._load_id as load_id,
        l.rows_appended,
        l.rows_retired,
        l.earliest_appended,
        r.earliest_retired,
        l.replaces_whole_table
    from {{ table }}_loads as l
    left join {{ table }}_retired as r on l._load_id = r._load_id
    {% if not loop.last %}union all{% endif %}
{% endfor %}
