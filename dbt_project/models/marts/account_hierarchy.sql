-- One row per account with a usable parent: the account's parent_id names another known account, not itself,
-- and following the parents from it never leads back to it. These are the quarantine's parent rules
-- (unknown_parent, self_parent, parent_cycle in pipelines/lib/ingest/quarantine.py) on the validated accounts; an
-- account that breaks one keeps its row elsewhere and has no parent here. The walk is unrolled to a fixed depth
-- (a chain of joins) instead of a recursive CTE, which Spark 3.5 SQL does not have: an account is on a cycle when
-- one of its first `max_depth` ancestors is itself, so a cycle of more than that many accounts would go unseen;
-- account hierarchies are a few levels deep, and only the direct parent is rolled up.
{%- set max_depth = 32 %}

with links as (
    select
        a.customer_id,
        a.parent_id
    from {{ ref('int_accounts_deduplicated') }} as a
    inner join {{ ref('int_accounts_deduplicated') }} as p on a.parent_id = p.customer_id
    where a.parent_id <> a.customer_id
),

walk as (
    select
        links.customer_id,
        links.parent_id,
        (
            {%- for step in range(1, max_depth) %}
                {{ 'or ' if not loop.first }}up_{{ step }}.parent_id = links.customer_id
            {%- endfor %}
        ) as on_cycle
    from links
    -- noqa: disable=LT02
    {% for step in range(1, max_depth) -%}
    left join links as up_{{ step }}
        on up_{{ step }}.customer_id = {{ 'links' if loop.first else 'up_' ~ (step - 1) }}.parent_id
    {% endfor %}
    -- noqa: enable=LT02
)

select
    customer_id,
    parent_id
from walk
where not coalesce(on_cycle, false)
