-- One row per customer and calendar month with activity: each source's events summed into its month.
-- Payments are dated by when they were paid, so a snapshot only sees payments that had happened.
with orders as (
    select
        customer_id,
        date_trunc('month', order_date) as month_start,
        count(*) as orders_n,
        sum(greatest(amount, 0)) as revenue,
        max(order_date) as last_order_date
    from ({{ valid_rows('stg_erp__orders', ['order_id'], 'order_date') }})
    group by all
),

payments as (
    select
        customer_id,
        date_trunc('month', paid_at) as month_start,
        count(*) as payments_n,
        sum(date_diff('day', due_date, paid_at)) as days_late_sum
    from ({{ valid_rows('stg_erp__invoices', ['invoice_id'], 'issued_at') }})
    where paid_at is not null and due_date is not null and paid_at <= current_date
    group by all
),

interactions as (
    select
        customer_id,
        date_trunc('month', occurred_at) as month_start,
        count(*) as interactions_n,
        sum(response_hours) as response_hours_sum,
        count(response_hours) as responses_n
    from ({{ valid_rows('stg_comms__interactions', ['interaction_id'], 'occurred_at') }})
    group by all
),

tickets as (
    select
        customer_id,
        date_trunc('month', opened_at) as month_start,
        count(*) as tickets_n,
        count(*) filter (where ticket_category in ('data_export', 'compatibility')) as tickets_competitor_n
    from ({{ valid_rows('stg_support__tickets', ['ticket_id'], 'opened_at') }})
    group by all
),

usage as (
    select
        customer_id,
        date_trunc('month', activity_date) as month_start,
        sum(coalesce(logins, 0)) as logins,
        count(*) as active_days,
        avg(features_used) as features_used_avg,
        max(activity_date) as last_usage_date
    from ({{ valid_rows('stg_web__usage', ['customer_id', 'activity_date'], 'activity_date') }})
    group by all
),

surveys as (
    select
        customer_id,
        date_trunc('month', answered_at) as month_start,
        arg_max(nps, answered_at) as nps_last
    from ({{ valid_rows('stg_crm__surveys', ['customer_id', 'answered_at'], 'answered_at') }})
    where nps between 0 and 10
    group by all
),

contacts as (
    select
        customer_id,
        date_trunc('month', started_at) as month_start,
        count(*) as contacts_started_n
    from ({{ valid_rows('stg_crm__contacts', ['contact_id'], 'started_at') }})
    group by all
),

unioned as (
    select
        customer_id,
        month_start
    from orders
    union
    select
        customer_id,
        month_start
    from payments
    union
    select
        customer_id,
        month_start
    from interactions
    union
    select
        customer_id,
        month_start
    from tickets
    union
    select
        customer_id,
        month_start
    from usage
    union
    select
        customer_id,
        month_start
    from surveys
    union
    select
        customer_id,
        month_start
    from contacts
)

select
    u.customer_id,
    cast(u.month_start as date) as month_start,
    coalesce(o.orders_n, 0) as orders_n,
    coalesce(o.revenue, 0) as revenue,
    o.last_order_date,
    coalesce(p.payments_n, 0) as payments_n,
    coalesce(p.days_late_sum, 0) as days_late_sum,
    coalesce(i.interactions_n, 0) as interactions_n,
    coalesce(i.response_hours_sum, 0) as response_hours_sum,
    coalesce(i.responses_n, 0) as responses_n,
    coalesce(t.tickets_n, 0) as tickets_n,
    coalesce(t.tickets_competitor_n, 0) as tickets_competitor_n,
    coalesce(g.logins, 0) as logins,
    coalesce(g.active_days, 0) as active_days,
    g.features_used_avg,
    g.last_usage_date,
    s.nps_last,
    coalesce(c.contacts_started_n, 0) as contacts_started_n
from unioned as u
left join orders as o on u.customer_id = o.customer_id and u.month_start = o.month_start
left join payments as p on u.customer_id = p.customer_id and u.month_start = p.month_start
left join interactions as i on u.customer_id = i.customer_id and u.month_start = i.month_start
left join tickets as t on u.customer_id = t.customer_id and u.month_start = t.month_start
left join usage as g on u.customer_id = g.customer_id and u.month_start = g.month_start
left join surveys as s on u.customer_id = s.customer_id and u.month_start = s.month_start
left join contacts as c on u.customer_id = c.customer_id and u.month_start = c.month_start
