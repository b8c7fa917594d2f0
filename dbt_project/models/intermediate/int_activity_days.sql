-- One row per customer and day with an order or product use, with the next such day (null: none up to as_of_date).
-- The non-contractual definition reads it: who is active at a snapshot, and whether they bought again after it.
-- Empty under the contractual definition, which does not read it (product use can be a row per customer and day).
with days as (
    select distinct
        customer_id,
        event_date as activity_date
    from {{ ref('int_events_dated') }}
    where
        source_table in ('orders', 'usage')
        and {{ 'true' if var('churn_definition') == 'inactivity' else 'false' }}
)

select
    customer_id,
    activity_date,
    lead(activity_date) over (partition by customer_id order by activity_date) as next_activity_date
from days
