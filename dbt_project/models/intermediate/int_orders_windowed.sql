-- One row per customer snapshot with the order signals, from orders dated on or before the snapshot date.
-- No rows at all when the company delivers no orders, so the mart shows the group as missing, not as zero.
{% set measures = {'orders_n': '1', 'revenue': 'amount',
                   'service_orders_n': "case when order_category in ('service', 'spare_parts') then 1 else 0 end"} %}

with running as (
    {{ running_totals(ref('int_orders_validated'), 'order_date', measures) }}
),

totals as (
    {{ totals_as_of(ref('int_customer_snapshots'), 'running', measures, [0, 30, 90, 180, 365, 455, 545]) }}
)

select
    s.customer_id,
    s.snapshot_date,
    {{ window_sum('orders_n', 30) }} as orders_30d,
    {{ window_sum('orders_n', 90) }} as orders_90d,
    {{ window_sum('orders_n', 180) }} as orders_180d,
    {{ window_sum('orders_n', 365) }} as orders_365d,
    case
        when {{ fully_observed(180) }}
            then {{ window_sum('orders_n', 90) }} / nullif({{ window_sum('orders_n', 180, 90) }}, 0)
    end as orders_trend,
    {{ window_sum('revenue', 90) }} as revenue_90d,
    {{ window_sum('revenue', 365) }} as revenue_365d,
    case
        when {{ fully_observed(180) }}
            then {{ window_sum('revenue', 90) }} / nullif({{ window_sum('revenue', 180, 90) }}, 0)
    end as revenue_trend,
    case
        when {{ fully_observed(455) }}
            then {{ window_sum('revenue', 90) }} / nullif({{ window_sum('revenue', 455, 365) }}, 0)
    end as revenue_yoy_ratio,
    {{ window_sum('service_orders_n', 180) }} as service_orders_180d,
    case
        when {{ fully_observed(365) }}
            then {{ window_sum('service_orders_n', 180) }} / nullif({{ window_sum('service_orders_n', 365, 180) }}, 0)
    end as service_orders_trend,
    {{ dbt.datediff('s.last_event_date', 's.snapshot_date', 'day') }} as days_since_last_order,
    s.last_event_date as last_order_date,
    -- The customer's usual gap between orders over the last year, how the current silence compares with it, and
    -- the mean gap of the last 6 months against the year before them (> 1: orders come further apart).
    365.0 / nullif({{ window_sum('orders_n', 365) }}, 0) as avg_order_gap_365d,
    {{ dbt.datediff('s.last_event_date', 's.snapshot_date', 'day') }}
    / nullif(365.0 / nullif({{ window_sum('orders_n', 365) }}, 0), 0) as order_gap_ratio,
    case
        when {{ fully_observed(545) }}
            then
                (180.0 / nullif({{ window_sum('orders_n', 180) }}, 0))
                / nullif(365.0 / nullif({{ window_sum('orders_n', 545, 180) }}, 0), 0)
    end as order_gap_trend
from totals as s
cross join {{ ref('int_data_window') }} as w
where exists (select 1 from {{ ref('int_orders_validated') }})
