with source as ({{ latest_load('raw', 'orders') }}
)

select
    order_id,
    customer_id,
    {{ as_date('order_date') }} as order_date,
    {{ as_number('amount') }} as amount,
    category as order_category,
    _load_id as load_id
from source
