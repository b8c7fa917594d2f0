-- One row per usable order (see the valid_rows macro for what usable means).
{{ valid_rows('stg_erp__orders', 'orders') }}
