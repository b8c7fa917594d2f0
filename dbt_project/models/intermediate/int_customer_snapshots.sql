-- One row per customer and month in which the customer was active at the snapshot date.
-- The snapshot date is the month's last day, or as_of_date for the newest (possibly partial) month, so the
-- newest snapshot is exactly the one scored.
-- contractual: a customer from creation until the churn date of int_customer_lifecycles.
-- inactivity:  a customer whenever an order or product use falls in the `active_window_days` up to the snapshot,
--              silent ones included; one who lapses and comes back is active again from the return on. The snapshot
--              also carries the next active day after it (from events up to as_of_date only), which the label reads.
{% set inactivity = var('churn_definition') == 'inactivity' %}
{% if inactivity %}
    {% set active = 's.last_activity_date > s.snapshot_date - ' ~ var('active_window_days') %}
{% else %}
    {% set active = 's.churned_at is null or s.churned_at > s.snapshot_date' %}
{% endif %}

with window_ as (select * from {{ ref('int_data_window') }}),

months as (
    select cast(m.month_start as date) as month_start
    from window_ as w,
        {{ month_starts('w.data_start_date', 'w.as_of_date', 'm') }}
),

snapshots as (
    select
        m.month_start,
        least({{ dbt.last_day('m.month_start', 'month') }}, w.as_of_date) as snapshot_date,
        w.data_start_date
    from months as m cross join window_ as w
),

candidates as (
    select
        l.customer_id,
        s.month_start,
        s.snapshot_date,
        s.data_start_date,
        l.created_at,
        l.churned_at,
        l.churn_type
    from {{ ref('int_customer_lifecycles') }} as l
    inner join snapshots as s on l.created_at <= s.snapshot_date
),

active_days as (select * from {{ ref('int_activity_days') }}),

placed as (
    select
        s.*,
        a.activity_date as last_activity_date,
        a.next_activity_date
    from candidates as s
    {{ asof_snapshot_join('candidates', 'active_days', 'a', 'activity_date') }}
)

select
    s.customer_id,
    s.month_start,
    s.snapshot_date,
    s.created_at,
    s.churned_at,
    s.churn_type,
    s.next_activity_date,
    {{ dbt.datediff(dbt.date_trunc('month', 's.data_start_date'), 's.month_start', 'month') }} + 1 as observed_months
from placed as s
where {{ active }}
