-- One row per customer snapshot with the contract signals. A contract counts as running at a date when it had
-- started and had not ended by then: an end date set at a later cancellation never reaches back. Renewal
-- proximity is derived from the running contract's start and the configured term, not from its end date, which
-- a cancellation would fill in only afterwards.
{% set term = var('contract_term_months') %}
{% set next_renewal -%}
    case when r.renewal_date <= s.snapshot_date then {{ dbt.dateadd('month', term, 'r.renewal_date') }} else r.renewal_date end
{%- endset %}

with running_at as (
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
        count(c.contract_id) as contracts_so_far
    from {{ ref('int_customer_snapshots') }} as s
    inner join {{ ref('int_contracts_validated') }} as c
        on s.customer_id = c.customer_id and s.snapshot_date >= c.start_date
    group by s.customer_id, s.snapshot_date
),

terms as (
    select
        *,
        -- the running contract's term (1, 2, ...) that the snapshot date falls in, counted in calendar months
        cast(floor({{ dbt.datediff('current_start', 'snapshot_date', 'month') }} / {{ term }}) as integer) + 1
            as term_number
    from running_at
),

renewals as (
    select
        *,
        -- the first anniversary of the running contract (every `term` months) after the snapshot date
        {{ dbt.dateadd('month', 'term_number * ' ~ term, 'current_start') }} as renewal_date
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
