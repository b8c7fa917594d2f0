with source as ({{ latest_load('raw', 'usage') }}
)

select
    customer_id,
    {{ as_date('date') }} as activity_date,
    {{ as_number('logins') }} as logins,
    {{ as_number('active_users') }} as active_users,
    {{ as_number('features_used') }} as features_used,
    {{ as_number('page_views') }} as page_views,
    {{ as_number('downloads') }} as downloads,
    _load_id as load_id
from source
