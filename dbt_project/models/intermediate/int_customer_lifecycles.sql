-- One row per customer: when they became a customer and, if they left, when and how (voluntary/involuntary).
-- contractual: the last contract ended (cancelled or expired) and no contract is still running; the type is the
--              contract's churn_type.
-- inactivity:  no order or product usage for `active_window_days`; the customer's latest lapse, dated when that
--              silence is complete, so it is never known before it could have been observed. It counts as
--              involuntary when an invoice due before that date was still unpaid then (the customer stopped paying).
--              A customer who lapsed and came back is a customer again (churned_at null). This one-row view serves
--              the KPIs; who is scored and what the label says come from the snapshots, month by month
--              (int_customer_snapshots, churn_labels), where a lapse-and-return counts as it happened.
-- Both are computed; the configured definition picks one, so the SQL has no branches to get out of step.
with window_ as (select * from {{ ref('int_data_window') }}),

accounts as (
    select
        customer_id,
        created_at
    from {{ ref('int_accounts_deduplicated') }}
),

contract_ends as (
    select
        c.customer_id,
        bool_or(
            c.end_date is null or c.end_date > w.as_of_date or coalesce(c.contract_status, 'active') = 'active'
        ) as has_running_contract,
        max(c.end_date) as last_end_date,
        {{ value_at_max('c.churn_type', 'c.end_date') }} as last_churn_type
    from {{ ref('int_contracts_validated') }} as c
    cross join window_ as w
    group by c.customer_id
),

contractual as (
    select
        a.customer_id,
        case when not e.has_running_contract then e.last_end_date end as churned_at,
        case when not e.has_running_contract then coalesce(e.last_churn_type, 'voluntary') end as churn_type
    from accounts as a
    left join contract_ends as e on a.customer_id = e.customer_id
),

last_activity as (
    select
        customer_id,
        max(event_date) as last_activity_date
    from {{ ref('int_events_dated') }}
    where source_table in ('orders', 'usage')
    group by customer_id
),

silent as (
    select
        a.customer_id,
        coalesce(x.last_activity_date, a.created_at) + {{ var('active_window_days') }} as silent_until
    from accounts as a
    left join last_activity as x on a.customer_id = x.customer_id
),

unpaid_at_churn as (
    select distinct i.customer_id
    from {{ ref('int_invoices_validated') }} as i
    inner join silent as s
        on i.customer_id = s.customer_id and i.due_date < s.silent_until
    where i.paid_at is null or i.paid_at > s.silent_until
),

inactivity as (
    select
        s.customer_id,
        case when s.silent_until <= w.as_of_date then s.silent_until end as churned_at,
        case
            when s.silent_until <= w.as_of_date and u.customer_id is not null then 'involuntary'
            when s.silent_until <= w.as_of_date then 'voluntary'
        end as churn_type
    from silent as s
    cross join window_ as w
    left join unpaid_at_churn as u on s.customer_id = u.customer_id
),

chosen as (
    select
        a.customer_id,
        a.created_at,
        case when '{{ var("churn_definition") }}' = 'contractual' then c.churned_at else i.churned_at end as churned_at,
        case when '{{ var("churn_definition") }}' = 'contractual' then c.churn_type else i.churn_type end as churn_type
    from accounts as a
    left join contractual as c on a.customer_id = c.customer_id
    left join inactivity as i on a.customer_id = i.customer_id
)

select
    customer_id,
    created_at,
    cast(churned_at as date) as churned_at,
    case when churned_at is not null then coalesce(churn_type, 'unknown') end as churn_type
from chosen
