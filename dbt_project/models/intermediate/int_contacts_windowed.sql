-- One row per customer snapshot with the contact-person signals: who we deal with at the snapshot date, and
-- whether counterparts changed lately (a decision maker who started after the account was
-- created replaced someone). An end date counts only once it has passed, so a hand-over that happens
-- after the snapshot is invisible to it.
select
    s.customer_id,
    s.snapshot_date,
    count(c.contact_id) filter (where c.ended_at is null or c.ended_at > s.snapshot_date) as active_contacts,
    count(c.contact_id) filter (where c.started_at > s.snapshot_date - 180) as new_contacts_180d,
    count(c.contact_id) filter (
        where c.ended_at <= s.snapshot_date and c.ended_at > s.snapshot_date - 180
    ) as contacts_ended_180d,
    count(c.contact_id) filter (
        where c.contact_role = 'decision_maker' and c.started_at > s.snapshot_date - 180
        and c.started_at > s.created_at
    ) as decision_maker_changes_180d
from {{ ref('int_customer_snapshots') }} as s
left join {{ ref('int_contacts_validated') }} as c
    on s.customer_id = c.customer_id and s.snapshot_date >= c.started_at
where exists (select 1 from {{ ref('int_contacts_validated') }})
group by s.customer_id, s.snapshot_date
