-- One row per usable contact person.
{{ valid_rows('stg_crm__contacts', ['contact_id'], ['started_at'], required=['contact_id'], table='contacts') }}
