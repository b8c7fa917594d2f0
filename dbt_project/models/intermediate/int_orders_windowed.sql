-- One row per customer snapshot with the order signals, from orders dated on or before the snapshot date.
-- No rows at all when the company delivers no orders, so the mart shows the group as missing, not as zero.
-- Beside counts, revenue and trends: the recency / frequency / monetary family of transaction data (order days to
-- date, days since the first order, average order value, the gaps between order days and how regular they are)
-- and the same season a year earlier (the horizon ahead, one year back), the signal of seasonal buyers.
{{ config(**snapshot_increment_config()) }}
{% set measures = {'orders_n': 'orders_n', 'revenue': 'revenue', 'service_orders_n': 'service_orders_n',
                   'order_days_n': '1',
                   'gap_n': 'case when gap_days is not null then 1 else 0 end',
                   'gap_sum': 'coalesce(gap_days, 0)',
                   'gap_sq': 'coalesce(gap_days * gap_days, 0)'} %}
{% set season = 365 - var('horizon_days') | int %}
{% set offsets = [0, 30, 90, 180, 365, 455, 545] + ([season] if season > 0 and season not in [30, 90, 180] else []) %}

with snapshots as (
    {{ snapshots_to_build() }}
),

order_days as (
    select
        customer_id,
        order_date,
        count(*) as orders_n,
        sum(amount) as revenue,
        sum(case when order_category in ('service', 'spare_parts') then 1 else 0 end) as service_orders_n,
        {{ dbt.datediff('lag(order_date) over (partition by customer_id order by order_date)', 'order_date', 'day') }}
            as gap_days
    from {{ ref('int_orders_validated') }}
    group by customer_id, order_date
),

first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from order_days
    group by customer_id
),

running as (
    {{ running_totals('order_days', 'order_date', measures) }}
),

totals as (
    {{ totals_as_of('snapshots', 'running', measures, offsets) }}
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
    end as order_gap_trend,
    s.order_days_n_at_0 as order_days_to_date,
    case
        when s.order_days_n_at_0 > 0 then {{ dbt.datediff('f.first_order_date', 's.snapshot_date', 'day') }}
    end as days_since_first_order,
    case
        when s.order_days_n_at_0 > 0 then {{ dbt.datediff('f.first_order_date', 's.last_event_date', 'day') }}
    end as days_first_to_last_order,
    {{ window_sum('revenue', 365) }} / nullif({{ window_sum('orders_n', 365) }}, 0) as avg_order_value_365d,
    s.revenue_at_0 / nullif(s.orders_n_at_0, 0) as avg_order_value_to_date,
    -- Gaps between consecutive order days: their mean to date, and over the last year their spread relative to the
    -- mean (0: like clockwork), and the current silence in units of the customer's own mean gap.
    s.gap_sum_at_0 / nullif(s.gap_n_at_0, 0) as order_gap_mean_to_date,
    sqrt(
        greatest(
            {{ window_sum('gap_sq', 365) }} / nullif({{ window_sum('gap_n', 365) }}, 0)
            - power({{ window_sum('gap_sum', 365) }} / nullif({{ window_sum('gap_n', 365) }}, 0), 2),
            0
        )
    ) / nullif({{ window_sum('gap_sum', 365) }} / nullif({{ window_sum('gap_n', 365) }}, 0), 0) as order_gap_cv_365d,
    {{ dbt.datediff('s.last_event_date', 's.snapshot_date', 'day') }}
    / nullif(s.gap_sum_at_0 / nullif(s.gap_n_at_0, 0), 0) as recency_vs_usual_gap,
    {%- if season > 0 %}
        case
            when {{ fully_observed(365) }} then {{ window_sum('orders_n', 365, season) }}
        end as orders_same_season_last_year,
        case
            when {{ fully_observed(365) }} then {{ window_sum('revenue', 365, season) }}
        end as revenue_same_season_last_year
    {%- else %}
        cast(null as double) as orders_same_season_last_year,
        cast(null as double) as revenue_same_season_last_year
    {%- endif %}
from totals as s
cross join {{ ref('int_data_window') }} as w
left join first_orders as f on s.customer_id = f.customer_id
where exists (select 1 from {{ ref('int_orders_validated') }})
