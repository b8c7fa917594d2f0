-- One row per usable contract.
{{ valid_rows(
    'stg_erp__contracts', ['contract_id'], ['start_date'],
    required=['contract_id'], amounts=['monthly_value'], table='contracts'
) }}
