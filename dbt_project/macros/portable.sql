{#- Where DuckDB and PostgreSQL (the second-adapter lane, tests/adapters) spell the same thing differently. The
    default is DuckDB's own form, so the production path is unchanged; postgres__ gives the same result on
    PostgreSQL. Dates and differences between dates use dbt's cross-database macros (dbt.datediff, dbt.dateadd,
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
    select_first_per goes right after `select`, keep_first_per at the very end of the statement. -#}
{% macro select_first_per(keys) -%}
    {{ return(adapter.dispatch('select_first_per', 'retention_radar')(keys)) }}
{%- endmacro %}

{% macro default__select_first_per(keys) -%}
{%- endmacro %}

{% macro postgres__select_first_per(keys) -%}
    distinct on ({{ keys | join(', ') }})
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

{#- DuckDB's `/` always divides as floating point; PostgreSQL divides integers as integers and numerics exactly. The
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
