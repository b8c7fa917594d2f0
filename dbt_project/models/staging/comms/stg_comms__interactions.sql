with source as ({{ latest_load('raw', 'interactions') }}
)

select
    interaction_id,
    customer_id,
    {{ as_date('occurred_at') }} as occurred_at,
    lower(trim(channel)) as channel,
    lower(trim(direction)) as direction,
    {{ as_number('response_hours') }} as response_hours,
    _load_id as load_id
from source
