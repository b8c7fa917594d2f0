-- One row per customer snapshot with the last NPS answer given by then, the one before it, and their change.
with answers as (
    select
        customer_id,
        answered_at,
        nps,
        lag(nps) over (partition by customer_id order by answered_at) as previous_nps
    from {{ ref('int_surveys_validated') }}
)

select
    s.customer_id,
    s.snapshot_date,
    a.nps as nps_latest,
    a.nps - a.previous_nps as nps_change,
    {{ dbt.datediff('a.answered_at', 's.snapshot_date', 'day') }} as days_since_nps
from {{ ref('int_customer_snapshots') }} as s
{{ asof_snapshot_join(ref('int_customer_snapshots'), 'answers', 'a', 'answered_at') }}
where exists (select 1 from {{ ref('int_surveys_validated') }})
