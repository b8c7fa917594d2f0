-- One row per load and source table of the raw zone: the earliest date among the rows that load appended, and
-- among the rows it retired (a tombstone carries no data; the version it retires has the same key, so the same
-- dates). The incremental snapshot models read it to know how far back the loads since their last build can
-- reach (snapshot_increments.sql). Loads never change once written, so each is summarised once: a run reads only
-- the raw rows of loads newer than the newest summarised, and dates only those rows and the versions they retire.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

{% set tables = source_contract().tables %}


{% for table, rules in tables.items() %}
    select
        '{{ table }}' as source_table,
        n._load_id as load_id,
        count(*) filter (where not coalesce(n._retired, false)) as rows_appended,
        count(*) filter (where n._retired) as rows_retired,
        min({{ earliest_date_of('n', rules.delivered_dates) }}) filter (where not coalesce(n._retired, false))
            as earliest_appended,
        min({{ earliest_date_of('o', rules.delivered_dates) }}) as earliest_retired,
        -- a load written before row versions existed replaces the whole table: it can reach any snapshot
        bool_or(n._row_hash is null) as replaces_whole_table
    from {{ source('raw', table) }} as n
    left join {{ source('raw', table) }} as o
        on n._retired and n._row_hash = o._row_hash and not coalesce(o._retired, false)
    {% if is_incremental() %}
        where n._load_id > (select coalesce(max(d.load_id), 0) from {{ this }} as d)
    {% endif %}
    group by n._load_id
    {% if not loop.last %}union all{% endif %}
{% endfor %}
