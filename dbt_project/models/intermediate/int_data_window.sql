-- One row: the span the sources cover. as_of_date is the newest usable event: scores are computed as of it.
select
    coalesce(min(e.event_date), (select min(created_at) from {{ ref('int_accounts_deduplicated') }}))
        as data_start_date,
    coalesce(max(e.event_date), (select max(created_at) from {{ ref('int_accounts_deduplicated') }}))
        as as_of_date
from {{ ref('int_events_dated') }} as e
