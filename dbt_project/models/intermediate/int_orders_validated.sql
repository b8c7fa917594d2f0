-- One row per usable order (see the valid_rows macro for what usable means).
{{ valid_rows(
    'stg_erp__orders', ['order_id'], ['order_date'], required=['order_id', 'amount'], amounts=['amount'], table='orders'
) }}
