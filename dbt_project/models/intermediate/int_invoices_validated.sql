-- One row per usable invoice.
{{ valid_rows('stg_erp__invoices', 'invoices') }}
