with source as ({{ latest_load('raw', 'invoices') }}
)

select
    invoice_id,
    customer_id,
    {{ as_date('issued_at') }} as issued_at,
    {{ as_date('due_date') }} as due_date,
    {{ as_date('paid_at') }} as paid_at,
    {{ as_number('amount') }} as amount,
    _load_id as load_id
from source
