-- One row per customer snapshot with the contract signals. A contract counts as running at a date when it had
-- started and had not ended by then: an end date set at a later cancellation never reaches back. Renewal
-- proximity is derived from the start of the term and the configured term length, not from an end date, which
-- a cancellation would fill in only afterwards. The term starts with the first contract of an unbroken chain:
-- amendments (up- and downgrades) and renewals that follow on without a gap keep its anniversary (co-terming);
-- a contract that starts after every earlier one has ended begins a new relationship and a new term.
{% set term = var('contract_term_months') %}
{% set next_renewal -%}
    case when r.renewal_date <= s.snapshot_date then {{ dbt.dateadd('month', term, 'r.renewal_date') }} else r.renewal_date end
{%- endset %}

with ordered as (
    select
        *,
        max(coalesce(end_date, cast('9999-12-31' as date))) over (
            partition by customer_id order by start_date, contract_id
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from {{ ref('int_contracts_validated') }}
),

chained as (
    select
        *,
        sum(
            case when previous_end is null or start_date > {{ dbt.dateadd('day', 1, 'previous_end') }} then 1 else 0 end
        ) over (partition by customer_id order by start_date, contract_id rows unbounded preceding) as chain_n
    from ordered
),

contracts as (
    select
        *,
        min(start_date) over (partition by customer_id, chain_n) as term_start
    from chained
),

running_at as (
    select
        s.customer_id,
        s.snapshot_date,
        sum(c.monthly_value) filter (
            where c.end_date is null or c.end_date > s.snapshot_date
        ) as contract_value,
        sum(c.monthly_value) filter (
            where c.start_date <= s.snapshot_date - 365 and (c.end_date is null or c.end_date > s.snapshot_date - 365)
        ) as contract_value_365d_ago,
        max(c.start_date) filter (where c.end_date is null or c.end_date > s.snapshot_date) as current_start,
        max(c.term_start) filter (where c.end_date is null or c.end_date > s.snapshot_date) as term_start,
        count(c.contract_id) as contracts_so_far
    from {{ ref('int_customer_snapshots') }} as s
    inner join contracts as c
        on s.customer_id = c.customer_id and s.snapshot_date >= c.start_date
    group by s.customer_id, s.snapshot_date
),

terms as (
    select
        *,
        -- the term (1, 2, ...) of the running chain that the snapshot date falls in, counted in calendar months
        -- (in parentheses: dbt-spark's month datediff is a sum of two terms)
        cast(floor(({{ dbt.datediff('term_start', 'snapshot_date', 'month') }}) / {{ term }}) as integer) + 1
            as term_number
    from running_at
),

renewals as (
    select
        *,
        -- the first anniversary of the term start (every `term` months) after the snapshot date
        {{ dbt.dateadd('month', 'term_number * ' ~ term, 'term_start') }} as renewal_date
    from terms
)

select
    s.customer_id,
    s.snapshot_date,
    r.contract_value,
    r.contract_value / nullif(r.contract_value_365d_ago, 0) as contract_value_change_365d,
    {{ dbt.datediff('r.current_start', 's.snapshot_date', 'day') }} as contract_age_days,
    {{ dbt.datediff('s.snapshot_date', next_renewal, 'day') }} as days_to_renewal,
    coalesce(r.contracts_so_far, 0) as contracts_so_far
from {{ ref('int_customer_snapshots') }} as s
left join renewals as r on s.customer_id = r.customer_id and s.snapshot_date = r.snapshot_date
where exists (select 1 from {{ ref('int_contracts_validated') }})
