-- One row per customer: the first record of each customer_id with a usable creation date.
select {{ select_first_per(['customer_id']) }}
    customer_id,
    created_at,
    account_name,
    industry,
    country,
    segment,
    account_manager,
    acquisition_cost,
    load_id
from {{ ref('stg_crm__accounts') }}
where customer_id is not null and created_at is not null and created_at <= {{ known_by() }}
{{ keep_first_per(['customer_id'], 'created_at') }}
