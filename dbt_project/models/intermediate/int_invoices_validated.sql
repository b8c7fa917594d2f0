-- One row per usable invoice.
{{ valid_rows(
    'stg_erp__invoices', ['invoice_id'], ['issued_at', 'due_date'],
    required=['invoice_id', 'amount'], amounts=['amount'], table='invoices'
) }}
