with source as ({{ latest_load('raw', 'surveys') }}
)

select
    customer_id,
    {{ as_date('answered_at') }} as answered_at,
    {{ as_number('nps') }} as nps,
    _load_id as load_id
from source
