-- One row per customer and snapshot date (month-end, and as_of_date for the newest month), for customers active
-- at that date. Every feature is computed from events dated on or before the snapshot date, and windows are
-- whole months: 1, 3, 6 and 12 months ending with the snapshot's month (about 30, 90, 180 and 365 days).
with base as (
    select
        s.customer_id,
        s.snapshot_date,
        s.month_start,
        s.created_at,
        s.observed_months,
        a.orders_n,
        a.revenue,
        a.last_order_date,
        a.payments_n,
        a.days_late_sum,
        a.interactions_n,
        a.response_hours_sum,
        a.responses_n,
        a.tickets_n,
        a.tickets_competitor_n,
        a.logins,
        a.active_days,
        a.features_used_avg,
        a.last_usage_date,
        a.nps_last,
        a.contacts_started_n
    from {{ ref('int_customer_snapshots') }} as s
    left join {{ ref('int_activity_monthly') }} as a
        on s.customer_id = a.customer_id and s.month_start = a.month_start
),

windowed as (
    select
        *,
        sum(coalesce(orders_n, 0)) over w3 as orders_90d,
        sum(coalesce(orders_n, 0)) over w12 as orders_365d,
        sum(coalesce(revenue, 0)) over w3 as revenue_90d,
        sum(coalesce(revenue, 0)) over w3_prev as revenue_prev_90d,
        sum(coalesce(revenue, 0)) over w12 as revenue_365d,
        max(last_order_date) over w_all as last_order_before,
        sum(coalesce(payments_n, 0)) over w3 as payments_90d,
        sum(coalesce(days_late_sum, 0)) over w3 as days_late_90d,
        sum(coalesce(payments_n, 0)) over w_norm as payments_norm,
        sum(coalesce(days_late_sum, 0)) over w_norm as days_late_norm,
        sum(coalesce(interactions_n, 0)) over w3 as interactions_90d,
        sum(coalesce(interactions_n, 0)) over w3_last_year as interactions_90d_last_year,
        count(*) over w3_last_year as months_last_year,
        sum(coalesce(response_hours_sum, 0)) over w3 as response_hours_90d,
        sum(coalesce(responses_n, 0)) over w3 as responses_90d,
        sum(coalesce(tickets_n, 0)) over w3 as tickets_90d,
        sum(coalesce(tickets_competitor_n, 0)) over w6 as tickets_competitor_180d,
        coalesce(logins, 0) as logins_30d,
        sum(coalesce(logins, 0)) over w3_prev_1 as logins_prev_90d,
        count(*) over w3_prev_1 as months_prev_logins,
        coalesce(active_days, 0) as active_days_30d,
        features_used_avg as features_used_30d,
        max(last_usage_date) over w_all as last_usage_before,
        last_value(nps_last ignore nulls) over w_all as nps_latest,
        sum(coalesce(contacts_started_n, 0)) over w6 as new_contacts_180d
    from base
    window
        w_all as (partition by customer_id order by month_start rows between unbounded preceding and current row),
        w3 as (partition by customer_id order by month_start rows between 2 preceding and current row),
        w3_prev as (partition by customer_id order by month_start rows between 5 preceding and 3 preceding),
        w3_prev_1 as (partition by customer_id order by month_start rows between 3 preceding and 1 preceding),
        w3_last_year as (partition by customer_id order by month_start rows between 14 preceding and 12 preceding),
        w6 as (partition by customer_id order by month_start rows between 5 preceding and current row),
        w12 as (partition by customer_id order by month_start rows between 11 preceding and current row),
        w_norm as (partition by customer_id order by month_start rows between 12 preceding and 3 preceding)
)

select
    customer_id,
    snapshot_date,
    date_diff('day', created_at, snapshot_date) as tenure_days,
    observed_months,
    orders_90d,
    orders_365d,
    revenue_90d,
    revenue_365d,
    revenue_90d / nullif(revenue_prev_90d, 0) as revenue_trend,
    date_diff('day', last_order_before, snapshot_date) as days_since_last_order,
    days_late_90d / nullif(payments_90d, 0) as payment_delay_90d,
    days_late_90d / nullif(payments_90d, 0) - days_late_norm / nullif(payments_norm, 0) as payment_delay_vs_norm,
    interactions_90d,
    case
        when months_last_year = 3 then interactions_90d / nullif(interactions_90d_last_year, 0)
    end as interactions_yoy_ratio,
    response_hours_90d / nullif(responses_90d, 0) as response_hours_avg_90d,
    tickets_90d,
    tickets_competitor_180d,
    logins_30d,
    case when months_prev_logins = 3 then logins_30d / nullif(logins_prev_90d / 3.0, 0) end as login_trend,
    active_days_30d,
    features_used_30d,
    date_diff('day', greatest(last_usage_before, last_order_before), snapshot_date) as days_since_last_activity,
    nps_latest,
    new_contacts_180d
from windowed
