-- One row per customer snapshot with the payment signals. Payments are dated by when they were paid, so a
-- snapshot sees only payments made by then; open invoices count as overdue once their due date has passed
-- without a payment by the snapshot date.
{{ config(**snapshot_increment_config()) }}
{% set measures = {'payments_n': '1', 'days_late': dbt.datediff('due_date', 'paid_at', 'day')} %}

with snapshots as (
    {{ snapshots_to_build() }}
),

paid as (
    select * from {{ ref('int_invoices_validated') }}
    where paid_at is not null and paid_at <= {{ known_by() }}
),

running as (
    {{ running_totals('paid', 'paid_at', measures) }}
),

totals as (
    {{ totals_as_of('snapshots', 'running', measures, [0, 90, 455]) }}
),

overdue as (
    select
        s.customer_id,
        s.snapshot_date,
        count(*) as overdue_invoices,
        sum(i.amount) as overdue_amount
    from snapshots as s
    inner join {{ ref('int_invoices_validated') }} as i
        on
            s.customer_id = i.customer_id
            and s.snapshot_date >= i.issued_at
            and s.snapshot_date > i.due_date
            and (i.paid_at is null or s.snapshot_date < i.paid_at)
    group by s.customer_id, s.snapshot_date
)

select
    s.customer_id,
    s.snapshot_date,
    {{ window_sum('payments_n', 90) }} as payments_90d,
    {{ window_sum('days_late', 90) }} / nullif({{ window_sum('payments_n', 90) }}, 0) as payment_delay_90d,
    -- The customer's own norm: the average delay over the year before the last 3 months.
    {{ window_sum('days_late', 455, 90) }} / nullif({{ window_sum('payments_n', 455, 90) }}, 0) as payment_delay_norm,
    {{ window_sum('days_late', 90) }} / nullif({{ window_sum('payments_n', 90) }}, 0)
    - {{ window_sum('days_late', 455, 90) }} / nullif({{ window_sum('payments_n', 455, 90) }}, 0)
        as payment_delay_vs_norm,
    coalesce(o.overdue_invoices, 0) as overdue_invoices,
    coalesce(o.overdue_amount, 0) as overdue_amount
from totals as s
left join overdue as o on s.customer_id = o.customer_id and s.snapshot_date = o.snapshot_date
where exists (select 1 from {{ ref('int_invoices_validated') }})
