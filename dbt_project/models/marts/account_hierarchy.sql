-- One row per account with a usable parent: the account's parent_id names another known account, not itself,
-- and following the parents from it never leads back to it. These are the quarantine's parent rules
-- (unknown_parent, self_parent, parent_cycle in pipelines/lib/ingest/quarantine.py) on the validated accounts; an
-- account that breaks one keeps its row elsewhere and has no parent here. The cycle walk is over (account,
-- ancestor) pairs with `union`, which ends on any graph because the pairs are finite; an account is on a cycle
-- when it reaches itself.
with recursive links as (
    select
        a.customer_id,
        a.parent_id
    from {{ ref('int_accounts_deduplicated') }} as a
    inner join {{ ref('int_accounts_deduplicated') }} as p on a.parent_id = p.customer_id
    where a.parent_id <> a.customer_id
),

ancestors (customer_id, ancestor_id) as (
    select
        customer_id,
        parent_id
    from links
    union
    select
        ancestors.customer_id,
        links.parent_id
    from ancestors
    inner join links on ancestors.ancestor_id = links.customer_id
),

on_cycle as (
    select distinct customer_id
    from ancestors
    where customer_id = ancestor_id
)

select
    links.customer_id,
    links.parent_id
from links
where links.customer_id not in (select on_cycle.customer_id from on_cycle)
