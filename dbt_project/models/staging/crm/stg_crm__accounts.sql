with source as ({{ latest_load('raw', 'accounts') }}
)

select
    customer_id,
    {{ as_date('created_at') }} as created_at,
    name as account_name,
    industry,
    country,
    segment,
    account_manager,
    {{ as_number('acquisition_cost') }} as acquisition_cost,
    nullif(trim(parent_id), '') as parent_id,
    _load_id as load_id
from source
