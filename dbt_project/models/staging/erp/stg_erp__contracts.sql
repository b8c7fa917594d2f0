with source as ({{ latest_load('raw', 'contracts') }}
)

select
    contract_id,
    customer_id,
    {{ as_date('start_date') }} as start_date,
    {{ as_date('end_date') }} as end_date,
    lower(trim(status)) as contract_status,
    lower(trim(churn_type)) as churn_type,
    cancel_reason,
    {{ as_number('monthly_value') }} as monthly_value,
    _load_id as load_id
from source
