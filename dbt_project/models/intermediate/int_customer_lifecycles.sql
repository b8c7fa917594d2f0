-- One row per customer: when they became a customer and, if they left, when and how.
-- contractual: the last contract ended (cancelled or expired) and no contract is still running.
-- inactivity: no order or product usage for `inactivity_days`; churn is dated when that silence is complete,
--             so a snapshot never knows a churn before it could have been observed.
{% set definition = var('churn_definition') %}
{% if definition not in ['contractual', 'inactivity'] %}
    {{ exceptions.raise_compiler_error("churn_definition must be 'contractual' or 'inactivity', got " ~ definition) }}
{% endif %}

with window_ as (select * from {{ ref('int_data_window') }}),

accounts as (select customer_id, created_at from {{ ref('int_accounts_deduplicated') }}),

{% if definition == 'contractual' %}
contracts as (
    select * from ({{ valid_rows('stg_erp__contracts', ['contract_id'], 'start_date') }})
),

ends as (
    select
        c.customer_id,
        bool_or(
            c.end_date is null or c.end_date > w.as_of_date or coalesce(c.contract_status, 'active') = 'active'
        ) as has_running_contract,
        max(c.end_date) as last_end_date,
        arg_max(c.churn_type, c.end_date) as last_churn_type
    from contracts as c cross join window_ as w
    group by c.customer_id
),

lifecycles as (
    select
        a.customer_id,
        a.created_at,
        case when not e.has_running_contract then e.last_end_date end as churned_at,
        case when not e.has_running_contract then coalesce(e.last_churn_type, 'voluntary') end as churn_type
    from accounts as a
    left join ends as e on a.customer_id = e.customer_id
)
{% else %}
activity as (
    select customer_id, max(event_date) as last_activity_date
    from {{ ref('int_events_dated') }}
    where source_table in ('orders', 'usage')
    group by customer_id
),

lifecycles as (
    select
        a.customer_id,
        a.created_at,
        case
            when coalesce(x.last_activity_date, a.created_at) + {{ var('inactivity_days') }} <= w.as_of_date
                then coalesce(x.last_activity_date, a.created_at) + {{ var('inactivity_days') }}
        end as churned_at,
        cast(null as varchar) as churn_type
    from accounts as a
    cross join window_ as w
    left join activity as x on a.customer_id = x.customer_id
)
{% endif %}

select
    customer_id,
    created_at,
    cast(churned_at as date) as churned_at,
    case when churned_at is not null then coalesce(churn_type, 'unknown') end as churn_type
from lifecycles
