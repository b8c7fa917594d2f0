-- One row per customer and month in which the customer was active at the snapshot date.
-- The snapshot date is the month's last day, or as_of_date for the newest (possibly partial) month, so the
-- newest snapshot is exactly the one scored.
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
)

select
    l.customer_id,
    s.month_start,
    s.snapshot_date,
    l.created_at,
    l.churned_at,
    l.churn_type,
    {{ dbt.datediff(dbt.date_trunc('month', 's.data_start_date'), 's.month_start', 'month') }} + 1 as observed_months
from {{ ref('int_customer_lifecycles') }} as l
inner join snapshots as s
    on
        l.created_at <= s.snapshot_date
        and (l.churned_at is null or l.churned_at > s.snapshot_date)
