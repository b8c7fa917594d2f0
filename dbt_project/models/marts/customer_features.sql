-- One row per customer and snapshot date (each month-end, and as_of_date for the newest month) for customers
-- active at that date. Every signal group comes from its own intermediate model, each computed only from events
-- dated on or before the snapshot date, over day-exact windows of 10/30/90/180/365 days. A source the company
-- does not deliver leaves its group null; zero means "delivered, and nothing happened".
-- Incremental: a monthly run rebuilds only the snapshot months that new or changed rows can reach
-- (snapshot_increments.sql).
{{ config(**snapshot_increment_config()) }}
with snapshots as (
    {{ snapshots_to_build() }}
)

select
    s.customer_id,
    s.snapshot_date,
    s.observed_months,
    {{ dbt.datediff('s.created_at', 's.snapshot_date', 'day') }} as tenure_days,
    o.orders_30d,
    o.orders_90d,
    o.orders_180d,
    o.orders_365d,
    o.orders_trend,
    o.revenue_90d,
    o.revenue_365d,
    o.revenue_trend,
    o.revenue_yoy_ratio,
    o.service_orders_180d,
    o.service_orders_trend,
    o.days_since_last_order,
    o.avg_order_gap_365d,
    o.order_gap_ratio,
    o.order_gap_trend,
    o.order_days_to_date,
    o.days_since_first_order,
    o.days_first_to_last_order,
    o.avg_order_value_365d,
    o.avg_order_value_to_date,
    o.order_gap_mean_to_date,
    o.order_gap_cv_365d,
    o.recency_vs_usual_gap,
    o.orders_same_season_last_year,
    o.revenue_same_season_last_year,
    p.payments_90d,
    p.payment_delay_90d,
    p.payment_delay_norm,
    p.payment_delay_vs_norm,
    p.overdue_invoices,
    p.overdue_amount,
    i.interactions_30d,
    i.interactions_90d,
    i.interactions_180d,
    i.interactions_365d,
    i.interactions_yoy_ratio,
    i.response_hours_avg_90d,
    i.response_time_trend,
    t.tickets_10d,
    t.tickets_30d,
    t.tickets_90d,
    t.tickets_365d,
    t.tickets_trend,
    t.tickets_competitor_180d,
    t.tickets_how_to_180d,
    t.tickets_bug_180d,
    t.tickets_billing_180d,
    t.tickets_data_export_180d,
    t.tickets_compatibility_180d,
    u.logins_30d,
    u.login_trend,
    u.active_days_30d,
    u.features_used_30d,
    u.features_used_trend,
    u.active_users_30d,
    u.page_views_30d,
    u.downloads_30d,
    u.days_since_last_usage,
    {{ dbt.datediff('greatest(u.last_usage_date, o.last_order_date)', 's.snapshot_date', 'day') }}
        as days_since_last_activity,
    n.nps_latest,
    n.nps_change,
    n.days_since_nps,
    c.active_contacts,
    c.new_contacts_180d,
    c.contacts_ended_180d,
    c.decision_maker_changes_180d,
    k.contract_value,
    k.contract_value_change_365d,
    k.contract_age_days,
    k.days_to_renewal,
    k.contracts_so_far
from snapshots as s
left join {{ ref('int_orders_windowed') }} as o
    on s.customer_id = o.customer_id and s.snapshot_date = o.snapshot_date
left join {{ ref('int_payments_windowed') }} as p
    on s.customer_id = p.customer_id and s.snapshot_date = p.snapshot_date
left join {{ ref('int_interactions_windowed') }} as i
    on s.customer_id = i.customer_id and s.snapshot_date = i.snapshot_date
left join {{ ref('int_tickets_windowed') }} as t
    on s.customer_id = t.customer_id and s.snapshot_date = t.snapshot_date
left join {{ ref('int_usage_windowed') }} as u
    on s.customer_id = u.customer_id and s.snapshot_date = u.snapshot_date
left join {{ ref('int_surveys_windowed') }} as n
    on s.customer_id = n.customer_id and s.snapshot_date = n.snapshot_date
left join {{ ref('int_contacts_windowed') }} as c
    on s.customer_id = c.customer_id and s.snapshot_date = c.snapshot_date
left join {{ ref('int_contracts_windowed') }} as k
    on s.customer_id = k.customer_id and s.snapshot_date = k.snapshot_date
