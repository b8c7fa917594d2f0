with source as ({{ latest_load('raw', 'tickets') }}
)

select
    ticket_id,
    customer_id,
    {{ as_date('opened_at') }} as opened_at,
    {{ as_date('closed_at') }} as closed_at,
    lower(category) as ticket_category,
    lower(priority) as priority,
    {{ as_number('csat') }} as csat,
    _load_id as load_id
from source
