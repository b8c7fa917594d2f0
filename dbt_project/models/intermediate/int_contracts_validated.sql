-- One row per usable contract.
{{ valid_rows('stg_erp__contracts', 'contracts') }}
