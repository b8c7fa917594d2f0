-- One row per customer: the first record of each customer_id with a usable creation date (ISO, not in the future,
-- not a placeholder before the contract's earliest date). A non-finite acquisition cost becomes null: the customer
-- stays, the value cannot be summed (the quality gate counts it as non_finite). parent_id as delivered: which
-- links are usable is account_hierarchy's to say.
{%- set contract = source_contract() %}
select {{ select_first_per(['customer_id'], 'created_at') }}
    customer_id,
    created_at,
    industry,
    country,
    segment,
    account_manager,
    parent_id,
    case when abs(acquisition_cost) < {{ contract.max_magnitude }} then acquisition_cost end as acquisition_cost,
    load_id
from {{ ref('stg_crm__accounts') }}
where
    customer_id is not null
    and created_at <= {{ known_by() }}
    -- inside coalesce: DuckDB 1.5.6 fails ("expression type mismatch") on two bare range filters over as_date
    and coalesce(created_at >= cast('{{ contract.min_date }}' as date), true)
{{ keep_first_per(['customer_id'], 'created_at') }}
