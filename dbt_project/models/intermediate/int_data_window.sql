-- One row: the span the sources cover. as_of_date is the newest usable event: scores are computed as of it.
-- The history starts with the first activity event (orders, invoices, interactions, tickets, usage, surveys).
-- Contract start dates reach back to each account's creation, long before the exports' activity history, so
-- they date the start only when no activity source exists; otherwise the oldest snapshots would all look quiet.
with spans as (
    select
        min(event_date) filter (where source_table <> 'contracts') as activity_start_date,
        min(event_date) as any_start_date,
        max(event_date) as last_date
    from {{ ref('int_events_dated') }}
),

accounts as (
    select
        min(created_at) as first_created,
        max(created_at) as last_created
    from {{ ref('int_accounts_deduplicated') }}
)

select
    coalesce(s.activity_start_date, s.any_start_date, a.first_created) as data_start_date,
    coalesce(s.last_date, a.last_created) as as_of_date
from spans as s
cross join accounts as a
