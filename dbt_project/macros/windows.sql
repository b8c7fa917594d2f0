{#- Point-in-time window sums without a row per day: running totals per customer and event date, read with an
    ASOF join (asof_snapshot_join, portable.sql) at the snapshot date and at snapshot date − N days. The sum over
    (snapshot − N, snapshot] is then total_at_0 − total_at_N. Every ASOF join takes the last event dated on or before
    its cut-off, so nothing after the snapshot can enter. -#}

{#- Running totals of `measures` (output name -> SQL expression) per customer and `date_column`. -#}
{% macro running_totals(relation, date_column, measures) -%}
    select
        customer_id,
        {{ date_column }} as event_date,
        {%- for name, expression in measures.items() %}
        {{ divisible('sum(sum(' ~ expression ~ ')) over running') }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by customer_id, {{ date_column }}
    window running as (
        partition by customer_id order by {{ date_column }} rows between unbounded preceding and current row
    )
{%- endmacro %}

{#- For each snapshot, the running totals as of snapshot_date − each of `offsets` days (0 = the snapshot). -#}
{% macro totals_as_of(snapshots, running, measures, offsets) -%}
    select
        s.customer_id,
        s.snapshot_date,
        {%- for offset in offsets %}
        {%- for name in measures %}
        coalesce(r{{ offset }}.{{ name }}, 0) as {{ name }}_at_{{ offset }},
        {%- endfor %}
        {%- endfor %}
        r0.event_date as last_event_date
    from {{ snapshots }} as s
    {%- for offset in offsets %}
    {{ asof_snapshot_join(snapshots, running, 'r' ~ offset, 'event_date', offset) }}
    {%- endfor %}
{%- endmacro %}

{#- The sum of `measure` over the days (snapshot − `older`, snapshot − `newer`]. -#}
{% macro window_sum(measure, older, newer=0) -%}
    ({{ measure }}_at_{{ newer }} - {{ measure }}_at_{{ older }})
{%- endmacro %}

{#- True when the whole window back to snapshot − `days` lies inside the observed data; trends and year-over-year
    ratios are null otherwise, because a window cut off by the start of the data only looks quiet. -#}
{% macro fully_observed(days) -%}
    (s.snapshot_date - {{ days }} >= w.data_start_date)
{%- endmacro %}
