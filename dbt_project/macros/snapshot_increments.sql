{#- Incremental snapshot models: a monthly run rebuilds only the snapshot months that the loads since the model's
    last build can reach, and keeps the older ones.

    Why a month can be kept: every feature of a snapshot reads only rows dated (by at least one of their date
    columns) on or before the snapshot date, and a label reads the `horizon_days` after it. A row appended or
    retired by a newer load therefore reaches no snapshot before its earliest date − horizon_days. The rebuilt
    window starts at the month of the earliest such date, and never later than the month of the last build's
    as_of_date (that month's snapshot was dated as_of_date and is now its month end or the new as_of_date). Rows
    of customer snapshots that no longer exist (a lifecycle that changed, a forgotten customer) are dropped
    wherever they are, and snapshots not yet built (a customer who became active again in an old month) are built
    wherever they are, so which rows exist always follows int_customer_snapshots.

    Everything is rebuilt when the model has no recorded build, when the start of the data or the dbt code or the
    business-rule vars changed since (snapshot_fingerprint), when as_of_date moved back, or when a load replaced a
    whole table (raw rows from before row versions). `dbt build --full-refresh` rebuilds the models from scratch
    and gives the same rows.

    Each model (pre_hook drop_rebuilt_snapshots, post_hook record_snapshot_build) keeps its own record in
    intermediate.snapshot_builds, written in the same transaction as its rows, so a run that fails half-way leaves
    every model's record true to its rows. -#}

{#- on-run-start: the table of each incremental snapshot model's last build. -#}
{% macro create_snapshot_builds() -%}
    {%- set statements -%}
    create schema if not exists intermediate;
    create table if not exists intermediate.snapshot_builds (
        model_name varchar, built_at timestamp, last_load_id integer, data_start_date date, as_of_date date,
        fingerprint varchar, code_digest varchar, rebuilt_from date
    )
    {%- endset -%}
    {{ run_statements(statements) }}
{%- endmacro %}

{#- The earliest of `columns` (text dates of the raw zone, read as staging reads them) of the row `alias`. -#}
{% macro earliest_date_of(alias, columns) -%}
    {%- if columns | length > 1 -%}
        least({% for column in columns %}{{ as_date(alias ~ '.' ~ column) }}{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
        {{ as_date(alias ~ '.' ~ columns[0]) }}
    {%- endif -%}
{%- endmacro %}

{#- What a build depends on besides the data: the business-rule vars and the project's code. Jinja sees the models'
    SQL but not the macros', so the pipeline passes a digest of every model and macro file (dbt_code_digest,
    pipelines/lib/transform/increments.py), and runs with --full-refresh when the tables were built with another. -#}
{% macro snapshot_fingerprint() -%}
    {#- the graph is filled only when dbt executes, not while it parses the hooks -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- for name in ['churn_definition', 'active_window_days', 'as_of_date', 'grace_days', 'horizon_days',
                     'contract_term_months', 'dbt_code_digest'] -%}
        {%- do parts.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {%- for key, node in graph.nodes.items() | sort -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name -%}
            {%- do parts.append(key ~ ':' ~ node.raw_code) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(local_md5(parts | join('\n'))) -}}
{%- endmacro %}

{#- A scalar query: the first snapshot date this model rebuilds (1900-01-01: all of them). -#}
{% macro rebuild_from() -%}
    {%- set full = "cast('1900-01-01' as date)" -%}
    with last_build as (
        select *
        from intermediate.snapshot_builds
        where model_name = '{{ this.identifier }}' and fingerprint = '{{ snapshot_fingerprint() }}'
    ),

    since as (
        select
            min(least(d.earliest_appended, d.earliest_retired)) as earliest_date,
            coalesce(bool_or(d.replaces_whole_table), false) as replaces_whole_table
        from {{ ref('stg_raw__load_dates') }} as d
        inner join last_build as b on d.load_id > b.last_load_id
    )

    select
        case
            when b.model_name is null or x.replaces_whole_table then {{ full }}
            when w.data_start_date is distinct from b.data_start_date or w.as_of_date < b.as_of_date then {{ full }}
            else cast({{ dbt.date_trunc('month', 'least(b.as_of_date, x.earliest_date - ' ~ var('horizon_days') ~ ')') }} as date)
        end as rebuild_from
    from {{ ref('int_data_window') }} as w
    left join last_build as b on true
    cross join since as x
{%- endmacro %}

{#- pre_hook: drop the rows to rebuild, and those of customer snapshots that no longer exist. -#}
{% macro drop_rebuilt_snapshots() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as t
        where
            t.snapshot_date >= ({{ rebuild_from() }})
            or not exists (
                select 1 from {{ ref('int_customer_snapshots') }} as s
                where s.customer_id = t.customer_id and s.snapshot_date = t.snapshot_date
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The customer snapshots this run builds: all of them, or on an incremental run those the table lacks once
    drop_rebuilt_snapshots has run. -#}
{% macro snapshots_to_build() -%}
    select s.*
    from {{ ref('int_customer_snapshots') }} as s
    {%- if is_incremental() %}
        where not exists (
            select 1 from {{ this }} as t
            where t.customer_id = s.customer_id and t.snapshot_date = s.snapshot_date
        )
    {%- endif %}
{%- endmacro %}

{#- post_hook: what this build read, so that the next one knows what is new, and the snapshot dates it rebuilt
    (computed as the pre_hook did, before the new record replaces the old one; 1900-01-01: all of them). -#}
{% macro record_snapshot_build() -%}
    insert into intermediate.snapshot_builds
    select
        '{{ this.identifier }}' as model_name,
        current_timestamp as built_at,
        (select coalesce(max(d.load_id), 0) from {{ ref('stg_raw__load_dates') }} as d) as last_load_id,
        w.data_start_date,
        w.as_of_date,
        '{{ snapshot_fingerprint() }}' as fingerprint,
        {{ "'" ~ var('dbt_code_digest') ~ "'" if var('dbt_code_digest', none) else 'cast(null as ' ~ portable_type('varchar') ~ ')' }} as code_digest,
        {%- if is_incremental() %}
            ({{ rebuild_from() }}) as rebuilt_from
        {%- else %}
            cast('1900-01-01' as date) as rebuilt_from
        {%- endif %}
    from {{ ref('int_data_window') }} as w;
    delete from intermediate.snapshot_builds
    where
        model_name = '{{ this.identifier }}'
        and built_at < (select max(b.built_at) from intermediate.snapshot_builds as b where b.model_name = '{{ this.identifier }}')
{%- endmacro %}

{#- The config of an incremental snapshot model; its SQL selects from `snapshots_to_build()`. A model whose columns
    changed fails (on_schema_change) until `dbt build --full-refresh` rebuilds it. -#}
{% macro snapshot_increment_config() -%}
    {{ return(adapter.dispatch('snapshot_increment_config', 'retention_radar')()) }}
{%- endmacro %}

{% macro default__snapshot_increment_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': '{{ drop_rebuilt_snapshots() }}',
        'post_hook': '{{ record_snapshot_build() }}',
    }) }}
{%- endmacro %}

{#- Spark SQL on Parquet tables has no DELETE (Delta Lake has, but its jars come from Maven, not PyPI), so there the
    snapshot models are plain tables rebuilt whole on every run; their rows are the same. -#}
{% macro spark__snapshot_increment_config() -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
