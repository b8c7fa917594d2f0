-- One row per customer snapshot: did the customer churn within `horizon_days` after the snapshot date?
-- Only events after the snapshot decide the label. A snapshot whose horizon is not yet fully observed is
-- unlabelled (null), never "stayed": for contractual churn the grace period must also have passed.
-- contractual: the customer's churn date (the last contract ended) falls in (snapshot, snapshot + horizon].
-- inactivity:  no order or product use in (snapshot, snapshot + horizon]; involuntary when an invoice due by the
--              snapshot was still unpaid at the end of the horizon (the customer stopped paying). A customer who
--              comes back later still churned within this horizon; their later snapshots are judged on their own.
{% set inactivity = var('churn_definition') == 'inactivity' %}
{% set cutoff_lag = 0 if inactivity else var('grace_days') %}
{% set horizon_end = 's.snapshot_date + ' ~ var('horizon_days') %}
{% if inactivity %}
    {% set churned = 'coalesce(s.next_activity_date > ' ~ horizon_end ~ ', true)' %}
    {% set churned_type = "case when u.customer_id is not null then 'involuntary' else 'voluntary' end" %}
{% else %}
    {% set churned = 'coalesce(s.churned_at <= ' ~ horizon_end ~ ', false)' %}
    {% set churned_type = 's.churn_type' %}
{% endif %}

with window_ as (select * from {{ ref('int_data_window') }}),

snapshots as (select * from {{ ref('int_customer_snapshots') }}),

unpaid as (
    select distinct
        s.customer_id,
        s.snapshot_date
    from snapshots as s
    inner join {{ ref('int_invoices_validated') }} as i
        on
            s.customer_id = i.customer_id
            and s.snapshot_date >= i.due_date
            and (i.paid_at is null or {{ horizon_end }} < i.paid_at)
    -- contractual churn takes its type from the contract: nothing to join
    where {{ 'true' if inactivity else 'false' }}
),

labelled as (
    select
        s.customer_id,
        s.snapshot_date,
        {{ horizon_end }} <= w.as_of_date - {{ cutoff_lag }} as is_labelled,
        {{ churned }} as churned,
        {{ churned_type }} as churned_type
    from snapshots as s
    cross join window_ as w
    left join unpaid as u on s.customer_id = u.customer_id and s.snapshot_date = u.snapshot_date
)

select
    customer_id,
    snapshot_date,
    is_labelled,
    case when is_labelled then churned end as churned_within_horizon,
    case when is_labelled and churned then coalesce(churned_type, 'unknown') end as churn_type,
    {{ var('horizon_days') }} as horizon_days
from labelled
