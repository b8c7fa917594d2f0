{#- Where DuckDB, PostgreSQL and Spark (the adapter lanes, tests/adapters) spell the same thing differently. The
    default is DuckDB's own form, so the production path is unchanged; postgres__ and spark__ give the same result
    on PostgreSQL and on Spark SQL. Dates and differences between dates use dbt's cross-database macros (dbt.datediff, dbt.dateadd,
    dbt.last_day, dbt.date_trunc) directly in the models. -#}

{#- on-run-start: the functions the PostgreSQL casts need (DuckDB has try_cast built in). A value that is not an
    ISO date or timestamp, or not a number, gives null, as as_date does on DuckDB (the same ISO pattern, and a
    value with a zone offset is converted to UTC first). -#}
{% macro create_portable_functions() -%}
    {{ return(adapter.dispatch('create_portable_functions', 'retention_radar')()) }}
{%- endmacro %}

{% macro default__create_portable_functions() -%}
    select 1
{%- endmacro %}

{#- Spark: the raw zone is Parquet, one folder per table under the var `radar_raw_parquet` (written from DuckDB's raw
    zone by pipelines/lib/transform/parquet_export.py); each source table is declared as an external table over its
    folder, so the models read `raw.<table>` as on DuckDB. Dropping such a table leaves its files alone. -#}
{% macro spark__create_portable_functions() -%}
    {%- set location = var('radar_raw_parquet', env_var('RADAR_RAW_PARQUET', '')) -%}
    {%- if execute and not location -%}
        {{ exceptions.raise_compiler_error("the spark target reads the raw zone from Parquet: set the var radar_raw_parquet (or RADAR_RAW_PARQUET) to its folder") }}
    {%- endif -%}
    {%- set statements = ['create database if not exists raw'] -%}
    {%- for table in source_contract().tables -%}
        {%- do statements.append('drop table if exists raw.' ~ table) -%}
        {%- do statements.append('create table raw.' ~ table ~ " using parquet location '" ~ location ~ '/' ~ table ~ "'") -%}
    {%- endfor -%}
    {{ run_statements(statements | join(';')) }}
{%- endmacro %}

{% macro postgres__create_portable_functions() -%}
    create schema if not exists {{ target.schema }};
    create or replace function {{ target.schema }}.radar_try_timestamp(value text) returns timestamp
    language plpgsql immutable as $$
    begin
        if value !~ '^{{ source_contract().iso_pattern }}$' then
            return null;
        end if;
        if value ~ '{{ source_contract().offset_pattern }}' then
            return cast(value as timestamptz) at time zone 'UTC';
        end if;
        return cast(value as timestamp);
    exception when others then
        return null;
    end
    $$;
    create or replace function {{ target.schema }}.radar_try_double(value text) returns double precision
    language plpgsql immutable as $$
    begin
        return cast(value as double precision);
    exception when others then
        return null;
    end
    $$
{%- endmacro %}

{#- The first row per `keys` in the order `order_by`: DuckDB filters with QUALIFY, PostgreSQL with DISTINCT ON.
    select_first_per goes right after `select`, keep_first_per at the very end of the statement. Spark SQL has
    neither: the statement becomes a subquery that numbers the rows, and the outer select keeps the first of each
    key with every column but the number (a quoted regex column, spark.sql.parser.quotedRegexColumnNames, which
    the spark profile sets). -#}
{% macro select_first_per(keys, order_by) -%}
    {{ return(adapter.dispatch('select_first_per', 'retention_radar')(keys, order_by)) }}
{%- endmacro %}

{% macro default__select_first_per(keys, order_by) -%}
{%- endmacro %}

{% macro postgres__select_first_per(keys, order_by) -%}
    distinct on ({{ keys | join(', ') }})
{%- endmacro %}

{% macro spark__select_first_per(keys, order_by) -%}
    `(?!radar_first_rank$).+` from (
        select row_number() over (partition by {{ keys | join(', ') }} order by {{ order_by }}) as radar_first_rank,
{%- endmacro %}

{% macro keep_first_per(keys, order_by) -%}
    {{ return(adapter.dispatch('keep_first_per', 'retention_radar')(keys, order_by)) }}
{%- endmacro %}

{% macro default__keep_first_per(keys, order_by) -%}
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro postgres__keep_first_per(keys, order_by) -%}
    order by {{ keys | join(', ') }}, {{ order_by }}
{%- endmacro %}

{% macro spark__keep_first_per(keys, order_by) -%}
    ) as radar_numbered where radar_first_rank = 1
{%- endmacro %}

{#- Joins to each row of `snapshots` (aliased s: customer_id, snapshot_date) the newest row of `relation` for the same
    customer dated (`date_column`) on or before snapshot_date − `days_before`. DuckDB has the ASOF join for this.
    PostgreSQL has none: there the candidate rows are joined per customer and DISTINCT ON keeps the newest, which
    costs snapshots × events per customer and suits the lane's small data. -#}
{% macro asof_snapshot_join(snapshots, relation, alias, date_column, days_before=0) -%}
    {{ return(adapter.dispatch('asof_snapshot_join', 'retention_radar')(
        snapshots, relation, alias, date_column, days_before
    )) }}
{%- endmacro %}

{% macro default__asof_snapshot_join(snapshots, relation, alias, date_column, days_before) -%}
    asof left join {{ relation }} as {{ alias }}
        on s.customer_id = {{ alias }}.customer_id and s.snapshot_date - {{ days_before }} >= {{ alias }}.{{ date_column }}
{%- endmacro %}

{% macro postgres__asof_snapshot_join(snapshots, relation, alias, date_column, days_before) -%}
    left join (
        select distinct on (l.customer_id, l.snapshot_date)
            l.snapshot_date as asof_snapshot_date,
            r.*
        from {{ snapshots }} as l
        inner join {{ relation }} as r
            on l.customer_id = r.customer_id and l.snapshot_date - {{ days_before }} >= r.{{ date_column }}
        order by l.customer_id, l.snapshot_date, r.{{ date_column }} desc
    ) as {{ alias }} on s.customer_id = {{ alias }}.customer_id and s.snapshot_date = {{ alias }}.asof_snapshot_date
{%- endmacro %}

{#- Spark SQL has neither: row_number keeps the newest candidate (its radar_asof_rank column comes along, unread). -#}
{% macro spark__asof_snapshot_join(snapshots, relation, alias, date_column, days_before) -%}
    left join (
        select
            l.snapshot_date as asof_snapshot_date,
            r.*,
            row_number() over (
                partition by l.customer_id, l.snapshot_date order by r.{{ date_column }} desc
            ) as radar_asof_rank
        from {{ snapshots }} as l
        inner join {{ relation }} as r
            on l.customer_id = r.customer_id and date_sub(l.snapshot_date, {{ days_before }}) >= r.{{ date_column }}
    ) as {{ alias }} on s.customer_id = {{ alias }}.customer_id and s.snapshot_date = {{ alias }}.asof_snapshot_date
        and {{ alias }}.radar_asof_rank = 1
{%- endmacro %}

{#- DuckDB's `/` always divides as floating point (so does Spark, but not a decimal literal over an integer); PostgreSQL divides integers as integers and numerics exactly. The
    windowed totals go through this, so every ratio of them is a floating-point division on both. -#}
{% macro divisible(expression) -%}
    {{ return(adapter.dispatch('divisible', 'retention_radar')(expression)) }}
{%- endmacro %}

{% macro default__divisible(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__divisible(expression) -%}
    cast({{ expression }} as double precision)
{%- endmacro %}

{#- Spark divides as floating point, but a decimal literal (365.0) over a bigint stays decimal with six places. -#}
{% macro spark__divisible(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}

{#- The value of `value` in the row where `ordering` is largest; rows where either is null are skipped, as DuckDB's
    arg_max does. -#}
{% macro value_at_max(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_max', 'retention_radar')(value, ordering)) }}
{%- endmacro %}

{% macro default__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro postgres__value_at_max(value, ordering) -%}
    (array_agg({{ value }} order by {{ ordering }} desc) filter (
        where {{ value }} is not null and {{ ordering }} is not null
    ))[1]
{%- endmacro %}

{% macro spark__value_at_max(value, ordering) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}

{#- A FROM item: one row per month start from the month of `start_date` to the month of `end_date`, as `alias`
    (month_start). -#}
{% macro month_starts(start_date, end_date, alias) -%}
    {{ return(adapter.dispatch('month_starts', 'retention_radar')(start_date, end_date, alias)) }}
{%- endmacro %}

{% macro default__month_starts(start_date, end_date, alias) -%}
    range(date_trunc('month', {{ start_date }}), {{ end_date }} + 1, interval 1 month) as {{ alias }} (month_start)
{%- endmacro %}

{% macro postgres__month_starts(start_date, end_date, alias) -%}
    generate_series(
        date_trunc('month', cast({{ start_date }} as timestamp)), cast({{ end_date }} as timestamp), interval '1 month'
    ) as {{ alias }} (month_start)
{%- endmacro %}

{#- Spark SQL: a lateral subquery exploding the months (sequence includes its end). -#}
{% macro spark__month_starts(start_date, end_date, alias) -%}
    lateral (
        select explode(sequence(
            cast(date_trunc('month', {{ start_date }}) as date), cast({{ end_date }} as date), interval 1 month
        )) as month_start
    ) as {{ alias }}
{%- endmacro %}

{#- Spark SQL's name for a type DuckDB and PostgreSQL share (Spark has no unsized varchar). -#}
{% macro portable_type(kind) -%}
    {{ return(adapter.dispatch('portable_type', 'retention_radar')(kind)) }}
{%- endmacro %}

{% macro default__portable_type(kind) -%}
    {{ kind }}
{%- endmacro %}

{% macro spark__portable_type(kind) -%}
    {{ {'varchar': 'string', 'double precision': 'double'}.get(kind, kind) }}
{%- endmacro %}

{#- A hook of several `;`-separated statements (DDL with DuckDB's type names): DuckDB and PostgreSQL take them as
    they are; Spark SQL runs one statement per call, so there each runs on its own with Spark's type names and the
    hook itself is `select 1`. -#}
{% macro run_statements(statements) -%}
    {{ return(adapter.dispatch('run_statements', 'retention_radar')(statements)) }}
{%- endmacro %}

{% macro default__run_statements(statements) -%}
    {{ statements }}
{%- endmacro %}

{% macro spark__run_statements(statements) -%}
    {%- if execute -%}
        {%- for statement in statements.split(';') if statement.strip() -%}
            {%- set statement = statement.replace('double precision', 'double').replace('varchar', 'string') -%}
            {#- a table without a provider would be a Hive text table; the others are Parquet -#}
            {%- if statement.strip().startswith('create table') and ' using ' not in statement -%}
                {%- set statement = statement ~ ' using parquet' -%}
            {%- endif -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- dbt.datediff on Spark, for months: the calendar months between the two dates, as DuckDB's date_diff counts them
    (2024-07-31 to 2025-06-30 is 11); dbt-spark's own adds one when the day of month is smaller, which makes it 12.
    Every other date part is dbt-spark's. dbt finds it first through `dispatch` in dbt_project.yml. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'month' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 12 + month({{ second_date }}) - month({{ first_date }}))
    {%- else -%}
        {{ dbt.spark__datediff(first_date, second_date, datepart) }}
    {%- endif -%}
{%- endmacro %}
