with source as ({{ latest_load('raw', 'contacts') }}
)

select
    contact_id,
    customer_id,
    {{ as_date('started_at') }} as started_at,
    {{ as_date('ended_at') }} as ended_at,
    role as contact_role,
    _load_id as load_id
from source
